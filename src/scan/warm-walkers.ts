/**
 * Walk workers started before anything else, so that their start-up (tens
 * of milliseconds of Node's own bootstrap each) runs on another core while
 * the main thread loads the program and the project's state, instead of
 * delaying the walks. Only for `arx sync`; a worker nobody takes is unref'd
 * and never keeps the process alive.
 *
 * Nothing starts on import: the CLI entry calls startWarmWalkers (through
 * src/cli/warm-start.ts, its first import) before the other modules are
 * evaluated; a program that embeds the engine starts none.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Worker } from 'node:worker_threads';

type WorkerThreads = typeof import('node:worker_threads');
let workerThreads: WorkerThreads | undefined;
/** Loaded on first use: on Linux a sync walks with find and most runs start no thread. */
function threads(): WorkerThreads {
  return (workerThreads ??= createRequire(import.meta.url)('node:worker_threads') as WorkerThreads);
}

/** The bundled walk worker next to this module; absent when running from sources (tests): walks then run in-thread. */
export const WALK_WORKER_FILE = ((): URL | undefined => {
  const url = new URL('./walk-worker.mjs', import.meta.url);
  return existsSync(url) ? url : undefined;
})();

/** Resource limits of a walk worker: the walk makes much short-lived garbage (stat objects) and little that lives. */
const LIMITS = { maxYoungGenerationSizeMb: 4 };

const warm: Worker[] = [];
let started = false;

/** A walk worker waiting for its job (a message): a warm one when there is one left, else a new one. */
export function takeWalkWorker(file: URL): Worker {
  const w = warm.shift();
  if (w !== undefined) {
    w.ref();
    return w;
  }
  return new (threads().Worker)(file, { resourceLimits: LIMITS });
}

/** Stop the warm workers nobody took (a remote that walks no local folder). */
export function releaseWarmWalkers(): void {
  for (const w of warm.splice(0)) void w.terminate();
}

/** `arx [options] sync ...`: the first word that is not an option (or --project's value). */
function isSyncCommand(argv: readonly string[]): boolean {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--project') i++;
    else if (!a.startsWith('-')) return a === 'sync';
  }
  return false;
}

/**
 * For `arx sync` (argv: the command line after node and the script), start
 * the walk workers ahead of time. Only once; on Linux, find walks (see
 * find-walk.ts) and a walk worker starts only where find fails.
 */
export function startWarmWalkers(argv: readonly string[]): void {
  if (started || process.platform === 'linux' || WALK_WORKER_FILE === undefined || !threads().isMainThread || !isSyncCommand(argv)) return;
  started = true;
  // One for the project folder, one for a local-folder remote.
  for (let i = 0; i < 2; i++) {
    const w = new (threads().Worker)(WALK_WORKER_FILE, { resourceLimits: LIMITS });
    w.unref();
    // A warm worker that fails to start (or ends before its job) is simply not used.
    const drop = (): void => {
      const at = warm.indexOf(w);
      if (at >= 0) warm.splice(at, 1);
    };
    w.once('error', drop);
    w.once('exit', drop);
    warm.push(w);
  }
}
