/** Where this program's `bin/arx` lives, so `arx` inside a command means this same program. */
import { existsSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

/** The `bin/` folder of the installed arx (searched upwards from this module, bundled or not). */
export function arxBinDir(): string | undefined {
  if (cached !== undefined) return cached;
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'bin', 'arx')) && existsSync(join(dir, 'package.json'))) return (cached = join(dir, 'bin'));
    if (dirname(dir) === dir) return undefined;
  }
}

/** PATH with our bin/ first. */
export function pathWithArx(path: string | undefined): string {
  const bin = arxBinDir();
  if (bin === undefined) return path ?? '';
  return path ? `${bin}${delimiter}${path}` : bin;
}
