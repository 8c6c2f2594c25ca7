/**
 * Starts the compiled command line (dist/arx.cjs) from V8's code cache.
 * Compiling the bundle (900 KB, ssh2's client included) is a large part of
 * every start of `arx`; with the cache, V8 reads the compiled code instead
 * (about 20 ms less at every start, 30 ms more where ssh2 loads).
 *
 * One cache per command (a sync runs other code than `arx status`), kept in
 * dist/.code-cache, written by the first run of that command after a build
 * and whenever V8 turns a cache down (another Node version or other flags).
 * A cache holds the functions its run compiled, so it notes what that run
 * covered: whether it succeeded (a failed run stops early) and the parts of
 * the program it used (see src/util/code-paths.ts). A run that covered more
 * writes it again: the first sync over SFTP after one to a local folder, say.
 * Its name holds the bundle's size and time: a rebuilt bundle never meets an
 * old cache. A folder that cannot be written only means no cache.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, type Stats } from 'node:fs';
import Module from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';

/** The part of Node's CommonJS Module class used here (not in its public types). */
interface CjsModule {
  exports: unknown;
  filename: string;
  paths: string[];
}
type CjsModuleClass = (new (id: string, parent?: unknown) => CjsModule) & { wrap(source: string): string; _nodeModulePaths(dir: string): string[] };

const bundle = join(dirname(fileURLToPath(import.meta.url)), 'arx.cjs');
const cacheDir = join(dirname(bundle), '.code-cache');

/** The command named on the command line (the first plain word), for the cache's name. */
function commandName(args: readonly string[]): string {
  return args.find((a) => /^[a-z][a-z-]*$/.test(a)) ?? 'none';
}

function readCache(file: string): Buffer | undefined {
  try {
    return readFileSync(file);
  } catch {
    return undefined;
  }
}

function writeCache(file: string, data: Buffer): void {
  const temp = `${file}.${process.pid}.tmp`;
  try {
    mkdirSync(cacheDir, { recursive: true });
    writeFileSync(temp, data);
    renameSync(temp, file);
  } catch {
    // A read-only installation (or a full disk) runs without the cache; nothing half-written stays.
    try {
      rmSync(temp, { force: true });
    } catch {
      // There was no room for it at all.
    }
  }
}

function builtBundle(): Stats {
  try {
    return statSync(bundle);
  } catch {
    process.stderr.write('arx: not built yet; run `npm ci && npm run build` in the arx folder\n');
    process.exit(1);
  }
}

/** A cache file: this tag, a byte of what its run covered (COVERS), then V8's data. */
const TAG = Buffer.from('ARXC');
const COVERS: Record<string, number> = { succeeded: 1, ssh: 2 };

const built = builtBundle();
const wrapper = (Module as unknown as CjsModuleClass).wrap(readFileSync(bundle, 'utf8'));
const cacheFile = join(cacheDir, `${commandName(process.argv.slice(2))}-${built.size}-${Math.trunc(built.mtimeMs)}-${process.version}.bin`);
const cached = readCache(cacheFile);
const tagged = cached !== undefined && cached.length > TAG.length && cached.subarray(0, TAG.length).equals(TAG);
const script = new Script(wrapper, { filename: bundle, cachedData: tagged ? cached.subarray(TAG.length + 1) : undefined });
const cachedCovers = tagged && script.cachedDataRejected !== true ? cached[TAG.length]! : undefined;
const usedPaths = new Set<string>();
(globalThis as { __arxCodePaths?: Set<string> }).__arxCodePaths = usedPaths;
process.once('exit', (code) => {
  let covers = code === 0 ? COVERS.succeeded! : 0;
  for (const path of usedPaths) covers |= COVERS[path] ?? 0;
  // Written again only when this run covered something the cache does not (making one costs milliseconds).
  if (cachedCovers !== undefined && (covers & ~cachedCovers) === 0) return;
  // At exit the cache holds every function this run compiled, not just the top level.
  writeCache(cacheFile, Buffer.concat([TAG, Buffer.from([covers]), script.createCachedData()]));
});

const CjsModule = Module as unknown as CjsModuleClass;
const mod = new CjsModule(bundle);
mod.filename = bundle;
mod.paths = CjsModule._nodeModulePaths(dirname(bundle));
const run = script.runInThisContext() as (exports: unknown, require: NodeJS.Require, module: CjsModule, filename: string, dirname: string) => void;
run.call(mod.exports, mod.exports, Module.createRequire(bundle), mod, bundle, dirname(bundle));
