/**
 * Run one shell command in its own process group with its output in a log
 * file. On timeout (or cancel) the whole group gets SIGTERM, then SIGKILL
 * after a grace period, so no grandchild outlives the command.
 */
import { spawn } from 'node:child_process';
import { closeSync, fstatSync, mkdirSync, openSync, readSync } from 'node:fs';
import { dirname } from 'node:path';

export interface CommandRun {
  /** null when the command was killed by a signal or could not start. */
  exitCode: number | null;
  signal: string | null;
  durationMs: number;
  timedOut: boolean;
  cancelled: boolean;
  /** Why the command could not start (spawn error), if it did not. */
  startError?: string;
}

export interface RunCommandOptions {
  command: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  logFile: string;
  timeoutMs: number;
  /** Between SIGTERM and SIGKILL. */
  graceMs?: number;
  signal?: AbortSignal;
  now?: () => number;
}

const DEFAULT_GRACE_MS = 3000;

/** True while any process of the group is alive. */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function signalGroup(pgid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pgid, sig);
  } catch {
    // already gone
  }
}

/** Process groups of the commands running now (in any sync of this process). */
const liveGroups = new Set<number>();

/**
 * SIGKILL every running command's process group at once: for a process that
 * is about to exit without waiting (a second Ctrl-C or SIGTERM), so that no
 * command outlives it.
 */
export function killRunningCommands(): void {
  for (const pgid of liveGroups) signalGroup(pgid, 'SIGKILL');
  liveGroups.clear();
}

export function runCommand(o: RunCommandOptions): Promise<CommandRun> {
  const now = o.now ?? Date.now;
  const started = now();
  mkdirSync(dirname(o.logFile), { recursive: true });
  const log = openSync(o.logFile, 'w');
  return new Promise<CommandRun>((resolve) => {
    let timedOut = false;
    let cancelled = false;
    let stopping: Promise<void> | undefined;
    const child = spawn('/bin/sh', ['-c', o.command], {
      cwd: o.cwd,
      env: o.env,
      stdio: ['ignore', log, log],
      // Its own process group: the group id is the child's pid.
      detached: true,
    });
    const pgid = child.pid;
    if (pgid !== undefined) liveGroups.add(pgid);

    /** SIGTERM the group, wait up to the grace period, then SIGKILL whatever is left. */
    const stopGroup = (): Promise<void> => {
      if (pgid === undefined) return Promise.resolve();
      stopping ??= (async () => {
        signalGroup(pgid, 'SIGTERM');
        const deadline = now() + (o.graceMs ?? DEFAULT_GRACE_MS);
        while (groupAlive(pgid) && now() < deadline) await new Promise((r) => setTimeout(r, 25));
        if (groupAlive(pgid)) signalGroup(pgid, 'SIGKILL');
      })();
      return stopping;
    };

    const timer = setTimeout(() => {
      timedOut = true;
      void stopGroup();
    }, o.timeoutMs);
    const onAbort = (): void => {
      cancelled = true;
      void stopGroup();
    };
    o.signal?.addEventListener('abort', onAbort, { once: true });
    if (o.signal?.aborted) onAbort();

    let settled = false;
    const finish = async (run: Omit<CommandRun, 'durationMs' | 'timedOut' | 'cancelled'>): Promise<void> => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (pgid !== undefined) liveGroups.delete(pgid);
      o.signal?.removeEventListener('abort', onAbort);
      // A stopped command's group is fully gone (SIGKILL sent if needed) before we go on.
      if (stopping) await stopping;
      closeSync(log);
      resolve({ ...run, durationMs: now() - started, timedOut, cancelled });
    };
    child.on('error', (err) => void finish({ exitCode: null, signal: null, startError: err.message }));
    child.on('exit', (code, sig) => void finish({ exitCode: code, signal: sig }));
  });
}

/** The last `maxLines` lines of a log file (reads at most its last 64 KiB). */
export function tailLines(file: string, maxLines = 20, maxLineLength = 400): string[] {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return [];
  }
  try {
    const size = fstatSync(fd).size;
    const len = Math.min(size, 64 * 1024);
    const buf = Buffer.alloc(len);
    readSync(fd, buf, 0, len, size - len);
    const lines = buf.toString('utf8').split(/\r?\n/);
    if (len < size) lines.shift(); // a partial first line
    while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
    return lines.slice(-maxLines).map((l) => (l.length > maxLineLength ? `${l.slice(0, maxLineLength)}…` : l));
  } finally {
    closeSync(fd);
  }
}
