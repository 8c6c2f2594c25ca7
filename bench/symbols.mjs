/**
 * `npm run bench:symbols`: generate a project with N symbol files (default
 * 10,000; 2% of them invalid), then time the built CLI's validate-symbols,
 * update-index (first run and up-to-date run), test and generate-reports.
 * Each command runs --runs times (default 3); prints the best and median wall
 * times, process start included. Asserts nothing.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const ARX = join(REPO, 'bin', 'arx');
const SYSTEMS = ['electrical', 'mechanical', 'plumbing', 'fire_alarm', 'security', 'hvac', 'network', 'building_controls', 'av', 'other'];

const { values: opts } = parseArgs({
  options: {
    files: { type: 'string', default: '10000' },
    runs: { type: 'string', default: '3' },
    keep: { type: 'boolean', default: false },
  },
});
const N = Number(opts.files);
const RUNS = Number(opts.runs);
if (!Number.isInteger(N) || N < 1 || !Number.isInteger(RUNS) || RUNS < 1) {
  console.error('bench:symbols: --files and --runs take positive whole numbers');
  process.exit(2);
}

function symbol(i) {
  const system = SYSTEMS[i % SYSTEMS.length];
  const s = {
    id: `sym_${i}`,
    name: `Symbol ${i}`,
    system,
    description: `Generated symbol number ${i} for the benchmark`,
    category: 'generated',
    tags: ['bench', system],
    svg: { content: `<g id="sym_${i}"><rect x="0" y="0" width="20" height="20" fill="#fff" stroke="#000"/></g>`, width: 20, height: 20, viewBox: '0 0 20 20' },
    properties: { rating: i % 100, unit: 'kW' },
    connections: [
      { id: 'in', type: 'power', x: 0, y: 10, direction: 'left' },
      { id: 'out', type: 'signal', x: 20, y: 10, label: 'out', direction: 'right' },
    ],
    metadata: { source: 'bench' },
    version: '1.0',
  };
  if (i % 50 === 7) {
    // 2% invalid, the way real libraries are: extra fields, empty svg, a loose connection.
    s.subcategory = 'x';
    s.svg.content = '';
    s.connections[0].description = 'extra';
  }
  return s;
}

const top = mkdtempSync(join(tmpdir(), 'arx-bench-symbols-'));
const project = join(top, 'proj');
const home = join(top, 'home');
mkdirSync(home);
mkdirSync(join(project, 'rules'), { recursive: true });
writeFileSync(join(project, 'arxfile.json'), JSON.stringify({ project_id: 'bench-symbols', name: 'Symbols benchmark' }, null, 2) + '\n');
writeFileSync(join(project, 'rules', 'clearances.json'), '{"min_mm": 600}\n');
for (const system of SYSTEMS) mkdirSync(join(project, 'symbols', system), { recursive: true });
for (let i = 0; i < N; i++) {
  const s = symbol(i);
  writeFileSync(join(project, 'symbols', s.system, `${s.id}.json`), JSON.stringify(s, null, 2) + '\n');
}
const env = { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ARX_'))), HOME: home };

function time(args, expectCode, before) {
  const times = [];
  let last;
  for (let r = 0; r < RUNS; r++) {
    before?.();
    const t0 = process.hrtime.bigint();
    last = spawnSync(ARX, args, { cwd: project, env, encoding: 'utf8', maxBuffer: 1 << 28 });
    times.push(Number(process.hrtime.bigint() - t0) / 1e9);
    if (last.status !== expectCode) {
      console.error(`arx ${args.join(' ')}: exit ${last.status} (expected ${expectCode})\n${last.stderr}`);
      process.exit(1);
    }
  }
  times.sort((a, b) => a - b);
  return { best: times[0], median: times[Math.floor(times.length / 2)], last };
}

const removeIndex = () => {
  rmSync(join(project, 'symbols', 'index.json'), { force: true });
  rmSync(join(project, 'symbols', 'categories.json'), { force: true });
};
const baseline = time(['--version'], 0);
const rows = [
  ['arx --version (process start)', baseline],
  ['validate-symbols', time(['validate-symbols'], 1)],
  ['validate-symbols --json', time(['validate-symbols', '--json'], 1)],
  ['update-index (writes both files)', time(['update-index', '--quiet'], 0, removeIndex)],
  ['update-index (up to date)', time(['update-index'], 0)],
  ['test', time(['test'], 1)],
  ['generate-reports', time(['generate-reports', '--quiet'], 0)],
];
const summary = rows[1][1].last.stdout.trim().split('\n').pop();
console.log(`arx project tools on ${N.toLocaleString('en')} symbol files (${summary}); best and median of ${RUNS} runs`);
for (const [label, t] of rows) console.log(`  ${label.padEnd(36)} ${t.best.toFixed(3)} s   (median ${t.median.toFixed(3)} s)`);
if (opts.keep) console.log(`project kept in ${project}`);
else rmSync(top, { recursive: true, force: true });
