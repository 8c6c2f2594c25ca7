// Bundle the CLI (and the benchmark) into single ES modules: one file loads
// much faster than hundreds of small ones. Native better-sqlite3 stays external.
import { build } from 'esbuild';

const common = {
  bundle: true,
  platform: 'node',
  // Prefer ES module builds: some packages' CommonJS builds (UMD) cannot be bundled.
  mainFields: ['module', 'main'],
  target: 'node20',
  format: 'esm',
  sourcemap: true,
  // Smaller source parses faster at every start; names stay readable in --verbose stack traces.
  minifyWhitespace: true,
  minifySyntax: true,
  external: ['ajv', 'better-sqlite3', 'cpu-features', 'ssh2'],
  banner: { js: "import { createRequire as __arxCreateRequire } from 'node:module'; const require = __arxCreateRequire(import.meta.url);" },
  logLevel: 'warning',
};

import { rmSync } from 'node:fs';
rmSync('dist', { recursive: true, force: true });
await build({ ...common, entryPoints: ['src/cli/main.ts'], outfile: 'dist/arx.mjs' });
await build({ ...common, entryPoints: ['src/scan/walk-worker.ts'], outfile: 'dist/walk-worker.mjs' });
await build({ ...common, entryPoints: ['bench/run.ts'], outfile: 'dist/bench.mjs' });
