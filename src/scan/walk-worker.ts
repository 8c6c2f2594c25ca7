/**
 * Worker thread that walks a local folder, so both sides of a sync are
 * walked on other cores while the main thread loads the state. Replies with
 * compact arrays: the paths, and per path [kind (0 file, 1 folder), size,
 * mtime, ctime, inode].
 */
import { parentPort, workerData } from 'node:worker_threads';
import { buildFilter } from './filter.js';
import { walkInto, type WalkJob, type WalkReply } from './walk.js';

const job = workerData as WalkJob;
const filter = job.settings ? buildFilter(job.settings) : undefined;
// Straight into compact arrays: no map of entries is ever built here.
const paths: string[] = [];
const numbers: number[] = [];
const problems = walkInto(job.root, { filter, skipTopLevel: new Set(job.skipTopLevel), under: job.under }, (path, st) => {
  paths.push(path);
  if (st === undefined) numbers.push(1, 0, 0, 0, 0);
  else numbers.push(0, st.size, st.mtimeMs, st.ctimeMs, st.ino);
});
const packed = Float64Array.from(numbers);
const reply: WalkReply = { paths, numbers: packed, ...problems };
parentPort!.postMessage(reply, [packed.buffer]);
