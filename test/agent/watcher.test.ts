import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { leftOut, watchProject } from '../../src/agent/watcher.js';
import { buildFilter } from '../../src/scan/filter.js';
import { tempDir } from '../helpers/cli.js';

const filter = buildFilter({ arxignore: ['scratch/', '*.tmp'], include: [], exclude: ['reports/old'] });

describe('what a change in a watched project counts for', () => {
  it('never .arx/, temporaries, or what the patterns leave out, at any depth', () => {
    expect(leftOut('.arx/state.db', 'file', filter)).toBe(true);
    expect(leftOut('.arx', 'dir', undefined)).toBe(true);
    expect(leftOut('scratch/a/b.json', 'file', filter)).toBe(true);
    expect(leftOut('scratch', 'dir', filter)).toBe(true);
    expect(leftOut('symbols/x.tmp', 'file', filter)).toBe(true);
    expect(leftOut('reports/old/r.json', 'gone', filter)).toBe(true);
    expect(leftOut('symbols/x.json', 'file', filter)).toBe(false);
    expect(leftOut('symbols/scratch.json', 'file', filter)).toBe(false);
    // A file named like a folder rule is still synced, so its change counts.
    expect(leftOut('scratch', 'file', filter)).toBe(false);
    // Gone, kind unknown: counts unless both rules leave it out ("*.tmp" matches files and folders alike).
    expect(leftOut('scratch', 'gone', filter)).toBe(false);
    expect(leftOut('models/a.tmp', 'gone', filter)).toBe(true);
  });
});

describe('a project watch', () => {
  it('reports one change for a burst, none for what is left out, and nothing after close', async () => {
    const root = tempDir('arx-watch-');
    mkdirSync(join(root, 'symbols'));
    mkdirSync(join(root, 'scratch'));
    let changes = 0;
    const w = watchProject(root, { debounceMs: 150, filter: () => filter, onFilterChanged: () => undefined, onChange: () => changes++ });
    await new Promise((r) => setTimeout(r, 300));
    for (let i = 0; i < 20; i++) writeFileSync(join(root, 'symbols', `s${i}.json`), '{}');
    await new Promise((r) => setTimeout(r, 700));
    expect(changes).toBe(1);
    writeFileSync(join(root, 'scratch', 'x.json'), '{}');
    mkdirSync(join(root, '.arx'));
    writeFileSync(join(root, '.arx', 'state.db'), 'x');
    await new Promise((r) => setTimeout(r, 500));
    expect(changes).toBe(1);
    await w.close();
    writeFileSync(join(root, 'symbols', 'late.json'), '{}');
    await new Promise((r) => setTimeout(r, 400));
    expect(changes).toBe(1);
  });
});
