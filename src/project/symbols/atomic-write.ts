/** Write files whole or not at all: a temporary file in the same folder, then a rename. */
import { lstatSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ArxError, errnoCode, fsErrorToArx, UsageError } from '../../errors.js';
import { tempName } from '../../remote/types.js';

/** Tag in the temporary names these tools write (arx's sync never syncs such names). */
const WRITER = 'tools';

/** A folder where a file should be (or a file where a folder should be) is the user's to fix. */
function writeError(err: unknown, label: string): ArxError {
  const code = errnoCode(err);
  if (code === 'EISDIR' || code === 'ENOTEMPTY') return new UsageError(`${label}: is a folder, expected a file`, 'NOT_A_FILE');
  if (code === 'ENOTDIR' || code === 'EEXIST') return new UsageError(`${label}: a part of the path is a file, not a folder`, 'NOT_A_FOLDER');
  return fsErrorToArx(err, label, 'local');
}

/** What is at `file` must be a file (or a link, which the rename replaces): never a device, a FIFO or a folder. */
function assertReplaceable(file: string, label: string): void {
  let st;
  try {
    st = lstatSync(file);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return;
    throw writeError(err, label);
  }
  if (st.isFile() || st.isSymbolicLink()) return;
  if (st.isDirectory()) throw new UsageError(`${label}: is a folder, expected a file`, 'NOT_A_FILE');
  const kind = st.isFIFO() ? 'a named pipe (FIFO)' : st.isSocket() ? 'a socket' : 'a device';
  throw new UsageError(`${label}: is ${kind}, expected a file; nothing was written`, 'NOT_A_FILE');
}

/** Write `content` to `file` atomically, creating its folder if needed. `label` names it in errors. */
export function writeAtomic(file: string, content: string, label: string): void {
  assertReplaceable(file, label);
  const dir = dirname(file);
  const tmp = join(dir, tempName(WRITER));
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(tmp, content, { flag: 'wx' });
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw writeError(err, label);
  }
}

/** The file's text, or undefined when it does not exist. */
function current(file: string, label: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return undefined;
    throw writeError(err, label);
  }
}

/** Write only when the content differs (an unchanged file keeps its mtime). True when written. */
export function writeIfChanged(file: string, content: string, label: string): boolean {
  if (current(file, label) === content) return false;
  writeAtomic(file, content, label);
  return true;
}
