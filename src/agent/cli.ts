/**
 * `arx agent ...`: the entry of dist/agent.cjs, a bundle of its own (the HTTP
 * server, the watcher and the log stay out of every other command's start).
 * Errors are reported here, with the CLI's messages and exit codes.
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { ArxError, UsageError } from '../errors.js';
import { EXIT } from '../cli/exit-codes.js';
import { printJson, reportError, say } from '../cli/output.js';
import { agentGet } from './client.js';
import { followLog, logSize, readLog } from './log-view.js';
import { insecureListenWarning, runForeground } from './foreground.js';
import { AgentRunningError, isAgentProcess, runningInstance, type InstanceInfo } from './instance.js';
import { agentPaths } from './paths.js';
import { addProject, removeProject } from './project-list.js';
import { installService, UNIT_NAME } from './service.js';
import { loadAgentSettings } from './settings.js';
import { agentToken } from './token.js';
import type { ProjectView } from './model.js';

export interface AgentCommandOptions {
  json?: boolean;
  follow?: boolean;
  project?: string;
  lines?: string;
}

export interface AgentGlobals {
  verbose?: boolean;
  quiet?: boolean;
}

const START_WAIT_MS = 10_000;
const STOP_WAIT_MS = 15_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The command that runs this agent in the foreground: this Node, its flags, this arx (with `globals`, such as --quiet). */
function runCommand(globals: string[] = []): string[] {
  return [process.execPath, ...process.execArgv, process.argv[1]!, ...globals, 'agent', 'run'];
}

function lastLines(file: string, n: number): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-n).join('\n');
  } catch {
    return '';
  }
}

async function start(env: NodeJS.ProcessEnv, g: AgentGlobals): Promise<number> {
  const paths = agentPaths(env);
  // Settings and token are checked here, so that mistakes show in this terminal.
  const settings = loadAgentSettings(env);
  const insecure = insecureListenWarning(settings);
  if (insecure) process.stderr.write(`arx: warning: ${insecure}\n`);
  agentToken(env, paths.token);
  const running = runningInstance(paths.lock);
  if (running) throw new AgentRunningError(running);
  mkdirSync(paths.dir, { recursive: true, mode: 0o700 });
  const out = openSync(paths.output, 'a', 0o600);
  const [node, ...args] = runCommand(['--quiet']);
  const child = spawn(node!, args, { detached: true, stdio: ['ignore', out, out], env });
  closeSync(out);
  let exited: number | null = null;
  child.on('exit', (code) => (exited = code ?? 1));
  child.unref();
  const deadline = Date.now() + START_WAIT_MS;
  while (Date.now() < deadline) {
    await sleep(100);
    if (exited !== null) {
      const tail = lastLines(paths.output, 5);
      throw new ArxError('local', 'AGENT_START_FAILED', `the agent stopped as it started (exit ${exited})${tail ? `:\n${tail}` : ''}`);
    }
    const info = runningInstance(paths.lock);
    if (info && info.pid === child.pid && info.address) {
      if (!g.quiet) say(`agent started (pid ${info.pid}, listening on ${info.address}); its log: arx agent log`);
      return EXIT.OK;
    }
  }
  throw new ArxError('local', 'AGENT_START_SLOW', `the agent (pid ${child.pid}) did not start listening within ${START_WAIT_MS / 1000} s; see ${paths.output} and \`arx agent log\``);
}

async function stop(env: NodeJS.ProcessEnv, g: AgentGlobals): Promise<number> {
  const info = runningInstance(agentPaths(env).lock);
  if (!info) {
    if (!g.quiet) say('no agent is running');
    return EXIT.OK;
  }
  try {
    process.kill(info.pid, 'SIGTERM');
  } catch (err) {
    throw new ArxError('permission', 'AGENT_STOP_DENIED', `cannot signal the agent (pid ${info.pid}): ${(err as Error).message}`);
  }
  const deadline = Date.now() + STOP_WAIT_MS;
  while (Date.now() < deadline) {
    await sleep(100);
    if (!isAgentProcess(info.pid)) {
      if (!g.quiet) say(`agent stopped (pid ${info.pid})`);
      return EXIT.OK;
    }
  }
  throw new ArxError('local', 'AGENT_STOP_SLOW', `the agent (pid ${info.pid}) did not stop within ${STOP_WAIT_MS / 1000} s; \`kill -KILL ${info.pid}\` stops it at once (files it was writing stay whole)`);
}

async function status(env: NodeJS.ProcessEnv, opts: AgentCommandOptions): Promise<number> {
  const paths = agentPaths(env);
  const info: InstanceInfo | undefined = runningInstance(paths.lock);
  if (!info || !info.address) {
    if (opts.json) printJson({ running: false, ...(info ? { pid: info.pid, starting: true } : {}) });
    else say(info ? `the agent (pid ${info.pid}) is starting` : 'no agent is running; start it with `arx agent start` (or `arx agent run` in the foreground)');
    return EXIT.REMOTE;
  }
  const settings = loadAgentSettings(env);
  const token = agentToken(env, paths.token).value;
  const res = await agentGet({ address: info.address, token, ...(settings.tls ? { cert: settings.tls.cert } : {}) }, '/api/v1/projects');
  if (res.status !== 200) {
    const why = typeof res.body === 'object' && res.body && 'error' in res.body ? String((res.body as { error: unknown }).error) : `HTTP ${res.status}`;
    throw new ArxError('network', 'AGENT_REFUSED', `the agent at ${info.address} refused the request: ${why}${res.status === 401 ? ' (is ARX_AGENT_TOKEN the same as the agent\'s?)' : ''}`);
  }
  const projects = res.body as ProjectView[];
  if (opts.json) {
    printJson({ running: true, pid: info.pid, address: info.address, started: info.started, projects });
    return EXIT.OK;
  }
  say(`agent running (pid ${info.pid}, listening on ${info.address}, since ${info.started})`);
  if (projects.length === 0) say('no projects: add one with `arx agent add DIR`');
  for (const p of projects) {
    const last = p.last_sync ? `last ${p.last_sync.status} ${p.last_sync.end_time ?? ''}`.trim() : 'not synced yet';
    const next = p.next_run ? `, next ${p.next_run}` : '';
    say(`  ${p.project_id || '(unreadable)'}  ${p.state}  ${last}${next}  ${p.path}${p.problem ? `\n    ${p.problem}` : ''}`);
  }
  return EXIT.OK;
}

function note(env: NodeJS.ProcessEnv): string {
  return runningInstance(agentPaths(env).lock) ? '; the running agent picks it up within a few seconds' : '';
}

async function log(env: NodeJS.ProcessEnv, opts: AgentCommandOptions): Promise<number> {
  const file = agentPaths(env).log;
  let limit: number | undefined;
  if (opts.lines !== undefined) {
    if (!/^\d{1,7}$/.test(opts.lines)) throw new UsageError(`--lines: expected a whole number, got ${JSON.stringify(opts.lines)}`, 'BAD_LINES');
    limit = Number(opts.lines);
  }
  const offset = logSize(file);
  let lines = readLog(file, opts.project);
  if (limit !== undefined) lines = limit === 0 ? [] : lines.slice(-limit);
  for (const l of lines) say(l);
  if (!opts.follow) return EXIT.OK;
  const ac = new AbortController();
  const onSignal = () => ac.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  await followLog(file, offset, opts.project, (l) => say(l), ac.signal);
  return EXIT.OK;
}

export async function runAgentCommand(sub: string, args: string[], opts: AgentCommandOptions, g: AgentGlobals): Promise<number> {
  const env = process.env;
  try {
    switch (sub) {
      case 'run': {
        const code = await runForeground({ env, quiet: g.quiet === true });
        // A sync that did not stop in time may still hold handles: it must not keep the process alive.
        setTimeout(() => process.exit(code), 500).unref();
        return code;
      }
      case 'start':
        return await start(env, g);
      case 'stop':
        return await stop(env, g);
      case 'status':
        return await status(env, opts);
      case 'add': {
        const r = addProject(env, args[0]!);
        if (!g.quiet) say(r.changed ? `added ${r.path} to the agent's projects (${r.file})${note(env)}` : `${r.path} is already in the agent's projects (${r.file})`);
        return EXIT.OK;
      }
      case 'remove': {
        const r = removeProject(env, args[0]!);
        if (!g.quiet) say(`removed ${r.path} from the agent's projects (${r.file})${note(env)}`);
        return EXIT.OK;
      }
      case 'token': {
        const t = agentToken(env, agentPaths(env).token);
        process.stdout.write(t.value + '\n');
        return EXIT.OK;
      }
      case 'install-service': {
        const r = installService(env, runCommand());
        if (!g.quiet) {
          say(`${r.result === 'unchanged' ? 'already up to date' : r.result}: ${r.file}`);
          say(`enable and start it:  systemctl --user daemon-reload && systemctl --user enable --now ${UNIT_NAME}`);
          say(`keep it running after you log out:  loginctl enable-linger ${env.USER ?? '$USER'}`);
          say('the token: set ARX_AGENT_TOKEN with `systemctl --user edit arx-agent` (Environment=...), or let the agent keep its own (arx agent token)');
        }
        return EXIT.OK;
      }
      case 'log':
        return await log(env, opts);
      default:
        throw new UsageError(`unknown agent command "${sub}"`, 'UNKNOWN_COMMAND');
    }
  } catch (err) {
    return reportError(err, g.verbose === true);
  }
}

