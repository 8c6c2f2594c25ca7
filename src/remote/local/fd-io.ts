/**
 * Whole-file reads and writes through plain file descriptors, in two
 * flavours with one shape: synchronous (local disks: fastest for small
 * files) and callback-based on the thread pool (network filesystems, where
 * calls must overlap). Node's promise-based FileHandle costs several times
 * more per small file than either; projects hold tens of thousands of them.
 */
import fs from 'node:fs';
import { promisify } from 'node:util';

const open = promisify(fs.open);
const write = (fd: number, buffer: Buffer, offset: number, length: number): Promise<number> =>
  new Promise((resolve, reject) => fs.write(fd, buffer, offset, length, null, (err, n) => (err ? reject(err) : resolve(n))));
const futimes = promisify(fs.futimes);
const fstat = promisify(fs.fstat);
const close = promisify(fs.close);

export const lstat = promisify(fs.lstat);
const rename = promisify(fs.rename);
const readWhole = promisify(fs.readFile) as (path: string) => Promise<Buffer>;

/** Create `path` (it must not exist), write all of `data`, set its mtime; returns its stat. Closes the file in every case. */
async function writeNewFile(path: string, data: Buffer, mtimeMs: number): Promise<fs.Stats> {
  const fd = await open(path, 'wx', 0o666);
  try {
    for (let off = 0; off < data.length; ) off += await write(fd, data, off, data.length - off);
    const when = new Date(mtimeMs);
    await futimes(fd, when, when);
    return await fstat(fd);
  } finally {
    await close(fd);
  }
}

export interface WholeFileIo {
  readWhole(path: string): Promise<Buffer>;
  writeNewFile(path: string, data: Buffer, mtimeMs: number): Promise<fs.Stats>;
  rename(from: string, to: string): Promise<void>;
  lstat(path: string): Promise<fs.Stats>;
}

export const asyncIo: WholeFileIo = { readWhole, writeNewFile, rename, lstat };

export const syncIo: WholeFileIo = {
  readWhole: async (path) => fs.readFileSync(path),
  async writeNewFile(path, data, mtimeMs) {
    const fd = fs.openSync(path, 'wx', 0o666);
    try {
      for (let off = 0; off < data.length; ) off += fs.writeSync(fd, data, off, data.length - off);
      const when = new Date(mtimeMs);
      fs.futimesSync(fd, when, when);
      return fs.fstatSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  },
  rename: async (from, to) => fs.renameSync(from, to),
  lstat: async (path) => fs.lstatSync(path),
};
