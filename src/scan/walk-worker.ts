/**
 * Worker thread that walks a local folder, so both sides of a sync are
 * walked on other cores while the main thread loads the state. Replies with
 * the walk in compact form (see CompactWalk).
 */
import { parentPort } from 'node:worker_threads';
import { buildFilter } from './filter.js';
import { walkCompact, type WalkJob } from './walk.js';

// Started ahead of time (see warm-walkers.ts): the job comes as the first message.
// A filter that cannot be built is answered as { error }, so the sync reports it as the main thread would.
parentPort!.once('message', (job: WalkJob) => {
  let filter;
  try {
    filter = job.settings ? buildFilter(job.settings) : undefined;
  } catch (err) {
    parentPort!.postMessage({ error: err instanceof Error ? err.message : String(err) });
    return;
  }
  const reply = walkCompact(job.root, { filter, skipTopLevel: new Set(job.skipTopLevel), under: job.under }, job.identity);
  parentPort!.postMessage(reply, [reply.numbers.buffer as ArrayBuffer]);
});
