/**
 * `arx agent run`: the agent in the foreground (systemd, containers, and the
 * background agent of `arx agent start`). One per user; the project list is
 * read again when the configuration file changes. SIGTERM or SIGINT: no new
 * syncs, running ones finish their files in flight, exit 0 within 10 s; a
 * second signal stops at once.
 */
import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import { killRunningCommands } from '../chain/run-command.js';
import { forcedCollection } from '../cli/memory.js';
import { ConfigError, fsErrorToArx } from '../errors.js';
import { redactText } from '../util/redact.js';
import { Agent } from './agent.js';
import { startApi } from './http.js';
import { acquireInstance } from './instance.js';
import { openAgentLog, type AgentLog } from './log.js';
import { AgentMetrics } from './metrics.js';
import { notifyCompletion } from './notify.js';
import { agentPaths } from './paths.js';
import { isLoopback, loadAgentSettings } from './settings.js';
import { agentToken } from './token.js';

/** After a stop signal, how long running syncs may take to stop before the agent exits anyway. */
const STOP_DEADLINE_MS = 9_000;
const CONFIG_POLL_MS = 2_000;

/** The warning for an API beyond loopback without TLS; undefined when there is nothing to warn of. */
export function insecureListenWarning(settings: { host: string; tls?: unknown }): string | undefined {
  if (isLoopback(settings.host) || settings.tls) return undefined;
  return `the API listens on ${settings.host}, beyond this machine, without TLS: the token and every answer cross the network in clear text; set agent.tls {"cert", "key"} or listen on 127.0.0.1`;
}

export interface ForegroundOptions {
  env: NodeJS.ProcessEnv;
  quiet: boolean;
}

function readTls(settings: { tls?: { cert: string; key: string } }): { cert: Buffer; key: Buffer } | undefined {
  if (!settings.tls) return undefined;
  const read = (file: string, key: string) => {
    try {
      return readFileSync(file);
    } catch (err) {
      const why = fsErrorToArx(err, file, 'local').message;
      throw new ConfigError(`agent.tls.${key}: cannot read ${file} (${why}); give the path of a PEM file`, 'AGENT_TLS_UNREADABLE');
    }
  };
  return { cert: read(settings.tls.cert, 'cert'), key: read(settings.tls.key, 'key') };
}

export async function runForeground(opts: ForegroundOptions): Promise<number> {
  const env = opts.env;
  const paths = agentPaths(env);
  const settings = loadAgentSettings(env);
  const tls = readTls(settings);
  const token = agentToken(env, paths.token);
  const lock = acquireInstance(paths.lock);
  let log: AgentLog | undefined;
  try {
    log = openAgentLog(paths.log, opts.quiet ? undefined : process.stderr);
    const agentLog = log;
    for (const w of settings.warnings) log.warn('config', w);
    process.on('unhandledRejection', (reason) => agentLog.error('error', `unexpected: ${reason instanceof Error ? reason.message : String(reason)}`));
    const metrics = new AgentMetrics();
    const agent = new Agent({
      env,
      log,
      metrics,
      watch: settings.watch,
      debounceMs: settings.debounceMs,
      syncTimeoutMs: settings.syncTimeoutMs,
      maxConcurrentSyncs: settings.maxConcurrentSyncs,
      ...(forcedCollection() ? { releaseMemory: forcedCollection()! } : {}),
      onSyncComplete: (cfg, status, signal) => notifyCompletion(cfg, status, { env, log: agentLog, metrics, signal }),
    });
    const api = await startApi({ model: agent, metrics, token: token.value, host: settings.host, port: settings.port, allowedHosts: settings.allowedHosts, ...(tls ? { tls } : {}) });
    lock.setAddress(api.address);
    log.info('agent_start', `agent listening on ${api.address} with ${settings.projects.length} project${settings.projects.length === 1 ? '' : 's'}`, { address: api.address, projects: settings.projects.length });
    const insecure = insecureListenWarning(settings);
    if (insecure) {
      log.warn('insecure', insecure);
      // Loud: on stderr even with --quiet (and so in the service's journal).
      if (opts.quiet) process.stderr.write(`arx: warning: ${insecure}\n`);
    }
    await agent.setProjects(settings.projects);

    // The project list follows the configuration file.
    let reloading = Promise.resolve();
    watchFile(settings.file, { interval: CONFIG_POLL_MS, persistent: false }, () => {
      reloading = reloading.then(async () => {
        try {
          const next = loadAgentSettings(env);
          await agent.setProjects(next.projects);
          agentLog.info('config', `projects reloaded from ${next.file}: ${next.projects.length}`, { projects: next.projects.length });
        } catch (err) {
          agentLog.error('config', `${redactText(err instanceof Error ? err.message : String(err))}; the agent keeps its project list`);
        }
      });
    });

    const signal = await new Promise<NodeJS.Signals>((resolve) => {
      let signals = 0;
      const onSignal = (sig: NodeJS.Signals) => {
        signals++;
        if (signals === 1) return resolve(sig);
        agentLog.warn('agent_stop', `${sig} again: stopping at once`);
        killRunningCommands();
        lock.release();
        process.exit(130);
      };
      process.on('SIGTERM', onSignal);
      process.on('SIGINT', onSignal);
    });
    log.info('agent_stop', `${signal}: stopping; running syncs finish the files in flight`);
    unwatchFile(settings.file);
    let late = false;
    await Promise.race([
      agent.stop(),
      new Promise<void>((r) =>
        setTimeout(() => {
          late = true;
          r();
        }, STOP_DEADLINE_MS).unref(),
      ),
    ]);
    if (late) log.warn('agent_stop', `a sync did not stop within ${STOP_DEADLINE_MS / 1000} s; the agent exits anyway (what it wrote is whole; the next sync goes on from there)`);
    await api.close();
    log.info('agent_stop', 'agent stopped');
    return 0;
  } finally {
    lock.release();
    await log?.close();
  }
}
