import { mkdtemp, readdir, rm, writeFile, utimes, rename as fsRename, mkdir as fsMkdir } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { LocalFolderRemote } from '../../src/remote/local/local-remote.js';
import type { ListFilter, WriteOptions } from '../../src/remote/types.js';
import { tempName } from '../../src/remote/types.js';
import { ArxError } from '../../src/errors.js';
import { remoteConformance } from './conformance.js';

type Ctor = new (root: string, w: string) => LocalFolderRemote;
const mutants: Record<string, Ctor> = {
  noMtime: class extends LocalFolderRemote {
    override async write(p: string, d: Readable | Buffer, o: WriteOptions) { return super.write(p, d, { ...o, mtimeMs: Date.now() }); }
  },
  returnsWrongEntry: class extends LocalFolderRemote {
    override async write(p: string, d: Readable | Buffer, o: WriteOptions) { const e = await super.write(p, d, o); return { ...e, mtimeMs: Date.now() }; }
  },
  nonAtomic: class extends LocalFolderRemote {
    override async write(p: string, d: Readable | Buffer, o: WriteOptions) {
      const t = this.abs(p);
      if (Buffer.isBuffer(d)) await writeFile(t, d); else await pipeline(d, createWriteStream(t));
      o.verify?.();
      await utimes(t, new Date(o.mtimeMs), new Date(o.mtimeMs));
      return (await this.stat(p))!;
    }
  },
  leavesTemp: class extends LocalFolderRemote {
    override async write(p: string, d: Readable | Buffer, o: WriteOptions) {
      const t = this.abs(p);
      const tmp = join(t, '..', tempName('x'));
      if (Buffer.isBuffer(d)) await writeFile(tmp, d); else await pipeline(d, createWriteStream(tmp));
      o.verify?.();
      await utimes(tmp, new Date(o.mtimeMs), new Date(o.mtimeMs));
      await fsRename(tmp, t);
      return (await this.stat(p))!;
    }
  },
  noVerify: class extends LocalFolderRemote {
    override async write(p: string, d: Readable | Buffer, o: WriteOptions) { return super.write(p, d, { mtimeMs: o.mtimeMs }); }
  },
  earlyVerify: class extends LocalFolderRemote {
    override async write(p: string, d: Readable | Buffer, o: WriteOptions) { o.verify?.(); return super.write(p, d, { mtimeMs: o.mtimeMs }); }
  },
  wrapsVerifyError: class extends LocalFolderRemote {
    override async write(p: string, d: Readable | Buffer, o: WriteOptions) {
      try { return await super.write(p, d, o); } catch (e) { throw new ArxError('remote', 'IO_ERROR', String(e)); }
    }
  },
  ignoreFilter: class extends LocalFolderRemote {
    override async list(_f?: ListFilter, u?: string) { return super.list(undefined, u); }
  },
  ignoreMax: class extends LocalFolderRemote {
    override async list(f?: ListFilter, u?: string) { return super.list(f ? { excludeDir: f.excludeDir, excludeFile: f.excludeFile } : undefined, u); }
  },
  ignoreUnder: class extends LocalFolderRemote {
    override async list(f?: ListFilter, u?: string) { if (u) this.abs(u); return super.list(f, undefined); }
  },
  tempsAsEntries: class extends LocalFolderRemote {
    override async list(f?: ListFilter, u?: string) { const l = await super.list(f, u); for (const t of l.temporaries) l.entries.set(t, { kind: 'file', size: 1, mtimeMs: 0 }); return { ...l, temporaries: [] }; }
  },
  noDirsInList: class extends LocalFolderRemote {
    override async list(f?: ListFilter, u?: string) { const l = await super.list(f, u); for (const [k, e] of [...l.entries]) if (e.kind === 'dir') l.entries.delete(k); return l; }
  },
  unsafe: class extends LocalFolderRemote {
    override abs(p: string) { return `${this.root}/${p}`; }
    override async list(f?: ListFilter, u?: string) { return super.list(f, u === undefined ? u : u.replace(/\.\.\/?/g, '').replace(/^\//, '') || undefined); }
  },
  removeRecursive: class extends LocalFolderRemote {
    override async remove(p: string) { await rm(this.abs(p), { recursive: true, force: true }); }
  },
  removeStrict: class extends LocalFolderRemote {
    override async remove(p: string) { await rm(this.abs(p)).catch(async (e) => { if (e.code === 'ERR_FS_EISDIR') return super.remove(p); throw e; }); }
  },
  mkdirRecursive: class extends LocalFolderRemote {
    override async mkdir(p: string) { await fsMkdir(this.abs(p), { recursive: true }).catch(() => { throw new ArxError('remote', 'X', 'x'); }); }
  },
  mkdirStrict: class extends LocalFolderRemote {
    override async mkdir(p: string) { await fsMkdir(this.abs(p)).catch(() => { throw new ArxError('remote', 'X', 'x'); }); }
  },
  wrongNotFound: class extends LocalFolderRemote {
    override async readAll(p: string) { try { return await super.readAll(p); } catch { throw new ArxError('remote', 'IO_ERROR', 'x'); } }
  },
  wrongHash: class extends LocalFolderRemote {
    override async hash(p: string) { return createHash('sha1').update(await this.readAll(p)).digest('hex'); }
  },
  rootAlways: class extends LocalFolderRemote {
    override async rootExists() { return true; }
  },
  createRootWipes: class extends LocalFolderRemote {
    override async createRoot() { await rm(this.root, { recursive: true, force: true }); await super.createRoot(); }
  },
  statThrows: class extends LocalFolderRemote {
    override async stat(p: string) { const s = await super.stat(p); if (!s) throw new ArxError('remote', 'NOT_FOUND', 'x'); return s; }
  },
  renameCopies: class extends LocalFolderRemote {
    override async rename(a: string, b: string) { const d = await this.readAll(a).catch(() => undefined); if (d === undefined) return super.rename(a, b); await this.write(b, d, { mtimeMs: Date.now() }); }
  },
};

const which = process.env.MUTANT!;
const M = mutants[which]!;
remoteConformance(`mutant ${which}`, async () => {
  const sandbox = await mkdtemp(join(tmpdir(), 'arx-mut-'));
  const remote = new M(join(sandbox, 'parent', 'root'), 'mut');
  return {
    remote,
    cleanup: async () => rm(sandbox, { recursive: true, force: true }),
    sandbox: {
      absolute: sandbox, up: '../..',
      outside: async () => (await readdir(sandbox, { recursive: true })).filter((p) => p !== 'parent' && p !== 'parent/root' && !p.startsWith('parent/root/')).sort(),
    },
  };
});
export const names = Object.keys(mutants);
