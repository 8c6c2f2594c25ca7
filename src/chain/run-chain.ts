/**
 * A command chain (pre_sync or post_sync): its commands in order, each
 * reported; a required command that fails ends the chain, others become
 * warnings and the chain goes on.
 */
import { join } from 'node:path';
import type { CommandSpec } from '../config/schema.js';
import { ArxError } from '../errors.js';
import { runCommand, tailLines } from './run-command.js';
import { pathWithArx } from './self.js';
import { scrubbedEnv } from './child-env.js';

export type ChainPhase = 'pre_sync' | 'post_sync';

/** Seconds, when an entry gives no timeout. */
export const DEFAULT_COMMAND_TIMEOUT_S = 300;

/** One command as the status JSON reports it. */
export interface CommandReport {
  name: string;
  phase: ChainPhase;
  command: string;
  required: boolean;
  exit_code: number | null;
  /** The signal that ended it, if one did. */
  signal: string | null;
  duration_ms: number;
  timed_out: boolean;
  success: boolean;
  /** Its full output, relative to the project. */
  log: string;
  /** The last lines of its output (stdout and stderr together). */
  output_tail: string[];
}

/** A command a dry run would run. */
export interface PlannedCommand {
  name: string;
  phase: ChainPhase;
  command: string;
  required: boolean;
  timeout_s: number;
}

export type ChainEvent = { type: 'command'; phase: ChainPhase; name: string; command: string; index: number; count: number };

export interface ChainContext {
  projectRoot: string;
  projectId: string;
  syncId: string;
  /** What the commands' environment starts from; secrets are taken out (child-env.ts). */
  env: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  onEvent?: (e: ChainEvent) => void;
  /** Seconds between SIGTERM and SIGKILL on timeout. */
  graceMs?: number;
}

export interface ChainResult {
  reports: CommandReport[];
  warnings: string[];
  /** The required command that failed and ended the chain. */
  failure?: ArxError;
}

export const COMMAND_LOG_DIR = '.arx/logs/commands';

export function planChain(phase: ChainPhase, specs: readonly CommandSpec[]): PlannedCommand[] {
  return specs.map((s) => ({ name: s.name, phase, command: s.command, required: s.required ?? true, timeout_s: s.timeout ?? DEFAULT_COMMAND_TIMEOUT_S }));
}

export async function runChain(phase: ChainPhase, specs: readonly CommandSpec[], ctx: ChainContext): Promise<ChainResult> {
  const result: ChainResult = { reports: [], warnings: [] };
  const env: NodeJS.ProcessEnv = {
    ...scrubbedEnv(ctx.env),
    PATH: pathWithArx(ctx.env.PATH),
    ARX_SYNC_ID: ctx.syncId,
    ARX_PROJECT_ID: ctx.projectId,
    ARX_PROJECT_ROOT: ctx.projectRoot,
    ARX_PHASE: phase,
  };
  for (const [index, planned] of planChain(phase, specs).entries()) {
    if (ctx.signal?.aborted) break;
    ctx.onEvent?.({ type: 'command', phase, name: planned.name, command: planned.command, index, count: specs.length });
    const log = `${COMMAND_LOG_DIR}/${ctx.syncId}-${planned.name}.log`;
    const logFile = join(ctx.projectRoot, log);
    const run = await runCommand({
      command: planned.command,
      cwd: ctx.projectRoot,
      env,
      logFile,
      timeoutMs: planned.timeout_s * 1000,
      graceMs: ctx.graceMs,
      signal: ctx.signal,
    });
    const tail = tailLines(logFile);
    if (run.startError) tail.push(`arx: could not start the command: ${run.startError}`);
    const report: CommandReport = {
      name: planned.name,
      phase,
      command: planned.command,
      required: planned.required,
      exit_code: run.exitCode,
      signal: run.signal,
      duration_ms: run.durationMs,
      timed_out: run.timedOut,
      success: run.exitCode === 0 && !run.timedOut && !run.cancelled,
      log,
      output_tail: tail,
    };
    result.reports.push(report);
    if (report.success) continue;
    if (run.cancelled) {
      result.failure = new ArxError('cancelled', 'CANCELLED', `the sync was cancelled while ${phase} command "${planned.name}" ran (it was stopped)`);
      break;
    }
    const what = `${phase} command "${planned.name}" (${planned.command}) ${outcome(report, planned.timeout_s)}; its output is in ${log}`;
    if (!planned.required) {
      result.warnings.push(`${what} (not required, so the sync went on)`);
      continue;
    }
    const consequence = phase === 'pre_sync' ? 'nothing was synced' : 'the files were synced, but the post_sync chain stopped here';
    result.failure = new ArxError('command', phase === 'pre_sync' ? 'PRE_SYNC_FAILED' : 'POST_SYNC_FAILED', `${what}; ${consequence}`);
    break;
  }
  return result;
}

function outcome(r: CommandReport, timeoutS: number): string {
  if (r.timed_out) return `timed out after ${timeoutS} s and was stopped`;
  if (r.exit_code !== null) return `failed with exit code ${r.exit_code}`;
  if (r.signal !== null) return `was killed by ${r.signal}`;
  return 'could not be started';
}
