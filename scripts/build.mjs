// Bundle the CLI (and the benchmark) into single files: one file loads much
// faster than hundreds of small ones. Native better-sqlite3 stays external.
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
// The CLI itself is CommonJS, so that bin/arx can start it from V8's code cache (see src/cli/launch.ts).
// ssh2 is bundled too (its native cipher binding stays in node_modules, see below).
const ssh2Binding = {
  name: 'ssh2-binding',
  setup(b) {
    b.onResolve({ filter: /sshcrypto\.node$/ }, () => ({ path: 'ssh2/lib/protocol/crypto/build/Release/sshcrypto.node', external: true }));
  },
};
await build({
  ...common,
  format: 'cjs',
  external: ['ajv', 'better-sqlite3', 'cpu-features', 'nodemailer'],
  plugins: [ssh2Binding],
  define: { 'import.meta.url': '__arxUrl' },
  banner: { js: "const __arxUrl = require('node:url').pathToFileURL(__filename).href;" },
  entryPoints: ['src/cli/main.ts'],
  outfile: 'dist/arx.cjs',
});
// The agent (HTTP server, watcher, log) in a bundle of its own, loaded by `arx agent` only.
await build({
  ...common,
  format: 'cjs',
  // @parcel/watcher loads its native build by platform at run time.
  external: ['ajv', 'better-sqlite3', 'cpu-features', 'nodemailer', '@parcel/watcher'],
  plugins: [ssh2Binding],
  define: { 'import.meta.url': '__arxUrl' },
  banner: { js: "const __arxUrl = require('node:url').pathToFileURL(__filename).href;" },
  entryPoints: ['src/agent/cli.ts'],
  outfile: 'dist/agent.cjs',
});
await build({ ...common, entryPoints: ['src/cli/launch.ts'], outfile: 'dist/launch.mjs' });
await build({ ...common, entryPoints: ['src/scan/walk-worker.ts'], outfile: 'dist/walk-worker.mjs' });
await build({ ...common, entryPoints: ['bench/run.ts'], outfile: 'dist/bench.mjs' });
await build({ ...common, entryPoints: ['bench/agent.ts'], outfile: 'dist/bench-agent.mjs' });
