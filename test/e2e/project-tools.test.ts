/** validate-symbols, update-index, test and generate-reports through the built CLI, on real project folders. */
import { existsSync, mkdirSync, readdirSync, statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { arx, cleanEnv, read, singleProject, tempDir, write, type Project } from '../helpers/cli.js';

function project(arxfile: object | string = { project_id: 'tools1', name: 'Tools test' }): Project {
  return singleProject(arxfile);
}

/** A symbol that uses every field of the built-in schema correctly. */
function symbol(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 'ahu_1',
    name: 'Air handling unit',
    system: 'mechanical',
    description: 'Supplies conditioned air',
    category: 'air',
    tags: ['hvac', 'air'],
    svg: { content: '<g id="ahu"><rect width="20" height="20"/></g>', width: 20, height: 20, viewBox: '0 0 20 20', scale: 1 },
    properties: { cfm: 2000 },
    metadata: { source: 'test' },
    version: '1.0',
    connections: [{ id: 'in', type: 'duct', x: 0, y: 10, label: 'supply', direction: 'left' }],
    ...over,
  };
}

const json = (v: unknown): string => JSON.stringify(v, null, 2) + '\n';

/** The problem lines a validate-symbols run printed (everything but its summary). */
const problemLines = (stdout: string): string[] => stdout.split('\n').filter((l) => l.startsWith('symbols/'));

function without(key: string, over: Record<string, unknown> = {}): Record<string, unknown> {
  const s = symbol(over);
  delete s[key];
  return s;
}

const conn = (over: Record<string, unknown>, drop?: string): Record<string, unknown> => {
  const c: Record<string, unknown> = { id: 'in', type: 'duct', x: 0, y: 10, ...over };
  if (drop) delete c[drop];
  return c;
};

describe('arx validate-symbols', () => {
  it('a valid symbol passes: exit 0, summary, no problems', () => {
    const p = project();
    write(p.dir, 'symbols/mechanical/ahu.json', json(symbol()));
    write(p.dir, 'symbols/electrical/panel.json', json({ id: 'panel', name: 'Panel', system: 'electrical', svg: { content: '<g/>' } }));
    const r = p.run('validate-symbols');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('2 symbol files: 2 valid, 0 invalid\n');
    expect(r.stderr).toBe('');
  });

  // One failing case per rule of the built-in schema: [case, file content, JSON path, message].
  const cases: [string, string, string, RegExp][] = [
    ['missing id', json(without('id')), '/', /^missing required field "id"$/],
    ['id not matching ^[a-z0-9_]+$', json(symbol({ id: 'AHU-1' })), '/id', /^must match \^\[a-z0-9_\]\+\$.*\(found "AHU-1"\)$/],
    ['id not a string', json(symbol({ id: 7 })), '/id', /^must be a string \(found 7\)$/],
    ['missing name', json(without('name')), '/', /^missing required field "name"$/],
    ['system outside the list', json(symbol({ system: 'telecommunications' })), '/system', /^must be one of electrical, mechanical, plumbing, fire_alarm, security, hvac, network, building_controls, av, other \(found "telecommunications"\)$/],
    ['missing svg', json(without('svg')), '/', /^missing required field "svg"$/],
    ['empty svg.content', json(symbol({ svg: { content: '' } })), '/svg/content', /^must not be empty$/],
    ['svg.width not a number', json(symbol({ svg: { content: '<g/>', width: '20px' } })), '/svg/width', /^must be a number \(found "20px"\)$/],
    ['tags repeated', json(symbol({ tags: ['hvac', 'air', 'hvac'] })), '/tags', /^items 0 and 2 are the same \("hvac"\)/],
    ['a tag that is not a string', json(symbol({ tags: ['hvac', 3] })), '/tags/1', /^must be a string \(found 3\)$/],
    ['properties not an object', json(symbol({ properties: 'big' })), '/properties', /^must be an object \(found "big"\)$/],
    ['connection without x', json(symbol({ connections: [conn({}, 'x')] })), '/connections/0', /^missing required field "x"$/],
    ['connection x not a number', json(symbol({ connections: [conn({}), conn({ id: 'out', x: '5' })] })), '/connections/1/x', /^must be a number \(found "5"\)$/],
    ['connection with an extra field', json(symbol({ connections: [conn({ description: 'supply air' })] })), '/connections/0', /^unexpected field "description"$/],
    ['extra top-level field', json(symbol({ subcategory: 'ahu' })), '/', /^unexpected field "subcategory"$/],
    ['broken JSON', '{\n  "id": "ahu_1",\n  "name" "Air handling unit"\n}\n', '/', /^invalid JSON at line 3, column 10: a colon was expected$/],
  ];

  it.each(cases)('%s: reported with file, JSON path and message; exit 1', (_name, content, path, message) => {
    const p = project();
    write(p.dir, 'symbols/mechanical/ahu.json', content);
    write(p.dir, 'symbols/mechanical/fan.json', json(symbol({ id: 'fan' })));
    const r = p.run('validate-symbols');
    expect(r.code, r.stdout + r.stderr).toBe(1);
    const lines = problemLines(r.stdout);
    expect(lines, r.stdout).toHaveLength(1);
    const prefix = `symbols/mechanical/ahu.json: ${path}: `;
    expect(lines[0]!.startsWith(prefix), lines[0]).toBe(true);
    expect(lines[0]!.slice(prefix.length)).toMatch(message);
    expect(r.stdout).toContain('2 symbol files: 1 valid, 1 invalid');
    expect(r.stderr).toBe('');
  });

  it('every problem of a file is listed, not just the first', () => {
    const p = project();
    write(p.dir, 'symbols/av/amp.json', json({ system: 'telecommunications', display_name: 'Amp', svg: { content: '' } }));
    const r = p.run('validate-symbols');
    expect(r.code).toBe(1);
    expect(problemLines(r.stdout).sort()).toEqual(
      [
        'symbols/av/amp.json: /: missing required field "id"',
        'symbols/av/amp.json: /: missing required field "name"',
        'symbols/av/amp.json: /: unexpected field "display_name"',
        'symbols/av/amp.json: /svg/content: must not be empty',
        'symbols/av/amp.json: /system: must be one of electrical, mechanical, plumbing, fire_alarm, security, hvac, network, building_controls, av, other (found "telecommunications")',
      ].sort(),
    );
  });

  it('scans symbols/ recursively in sorted order, skipping the index files, hidden files, temporaries and non-JSON files', () => {
    const p = project();
    write(p.dir, 'symbols/index.json', json({ symbols: ['x'] }));
    write(p.dir, 'symbols/categories.json', json({ categories: {} }));
    write(p.dir, 'symbols/.draft.json', '{ broken');
    write(p.dir, 'symbols/mechanical/.arx-tmp-abc-123-xyz', '{ broken');
    write(p.dir, 'symbols/mechanical/notes.txt', 'not a symbol');
    write(p.dir, 'symbols/mechanical/zz.json', '{}');
    write(p.dir, 'symbols/mechanical/deep/er/aa.json', '[]');
    write(p.dir, 'symbols/electrical/a.json', 'nope');
    const r = p.run('validate-symbols');
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('3 symbol files: 0 valid, 3 invalid');
    const files = [...new Set(problemLines(r.stdout).map((l) => l.slice(0, l.indexOf(': '))))];
    expect(files).toEqual(['symbols/electrical/a.json', 'symbols/mechanical/deep/er/aa.json', 'symbols/mechanical/zz.json']);
    expect(r.stdout).toContain('symbols/mechanical/deep/er/aa.json: /: must be an object (found an array)');
  });

  it('no symbols folder: says so, exit 0', () => {
    const p = project();
    const r = p.run('validate-symbols');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('no symbols folder');
  });

  it('--json prints the result object; --report writes the same object atomically to a file relative to the working folder', () => {
    const p = project();
    write(p.dir, 'symbols/mechanical/ahu.json', json(symbol()));
    write(p.dir, 'symbols/mechanical/bad.json', json(symbol({ id: 'bad', subcategory: 'x', svg: { content: '' } })));
    const sub = join(p.dir, 'symbols', 'mechanical');
    const r = arx(['validate-symbols', '--json', '--report', 'out/result.json'], { cwd: sub, env: p.env });
    expect(r.code).toBe(1);
    const expected = {
      total_files: 2,
      valid_files: 1,
      invalid_files: [
        {
          file: 'symbols/mechanical/bad.json',
          errors: [
            { path: '/', message: 'unexpected field "subcategory"' },
            { path: '/svg/content', message: 'must not be empty' },
          ],
        },
      ],
    };
    expect(JSON.parse(r.stdout)).toEqual(expected);
    expect(JSON.parse(read(sub, 'out/result.json'))).toEqual(expected);
    expect(readdirSync(join(sub, 'out'))).toEqual(['result.json']);
  });

  it('--report FILE that is a folder: one clear error, exit 2', () => {
    const p = project();
    write(p.dir, 'symbols/mechanical/ahu.json', json(symbol()));
    mkdirSync(join(p.dir, 'out'));
    const r = p.run('validate-symbols', '--report', 'out');
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe('arx: error: out: is a folder, expected a file');
  });

  it('--schema validates against a custom draft-07 schema instead of the built-in one', () => {
    const p = project();
    write(p.dir, 'tag.schema.json', json({
      $schema: 'http://json-schema.org/draft-07/schema#',
      type: 'object',
      required: ['code'],
      properties: { code: { type: 'string', pattern: '^[A-Z]{3}$' }, rating: { type: 'number', minimum: 0 } },
    }));
    // Not a valid Arxos symbol, but valid for this schema.
    write(p.dir, 'symbols/custom/a.json', json({ code: 'AHU', rating: 3, anything: true }));
    let r = p.run('validate-symbols', '--schema', 'tag.schema.json');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('1 symbol file: 1 valid, 0 invalid');
    expect(p.run('validate-symbols').code).toBe(1);

    write(p.dir, 'symbols/custom/b.json', json({ code: 'ahu', rating: -1 }));
    write(p.dir, 'symbols/custom/c.json', json({ rating: 1 }));
    r = p.run('validate-symbols', '--schema', 'tag.schema.json');
    expect(r.code).toBe(1);
    expect(problemLines(r.stdout)).toEqual([
      'symbols/custom/b.json: /code: must match ^[A-Z]{3}$ (found "ahu")',
      'symbols/custom/b.json: /rating: must be >= 0',
      'symbols/custom/c.json: /: missing required field "code"',
    ]);
    expect(r.stdout).toContain('3 symbol files: 1 valid, 2 invalid');
  });

  it('--schema problems are one clear error naming the file, exit 2', () => {
    const p = project();
    write(p.dir, 'symbols/mechanical/ahu.json', json(symbol()));
    write(p.dir, 'broken.json', '{\n  "type": "object",\n  "required": ["id"\n}\n');
    write(p.dir, 'nonsense.json', json({ type: 'thing' }));
    write(p.dir, 'newer.json', json({ $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'object' }));
    const checks: [string, RegExp][] = [
      ['missing.json', /^arx: error: missing\.json: no such file$/],
      ['broken.json', /^arx: error: broken\.json: invalid JSON at line 4, column 1: a comma was expected$/],
      ['nonsense.json', /^arx: error: nonsense\.json: not a usable JSON Schema: /],
      ['newer.json', /^arx: error: newer\.json: "\$schema" is .*2020-12.*only JSON Schema draft-07 is supported$/],
    ];
    for (const [file, message] of checks) {
      const r = p.run('validate-symbols', '--schema', file);
      expect(r.code, `${file}: ${r.stderr}`).toBe(2);
      expect(r.stderr.trim().split('\n'), file).toHaveLength(1);
      expect(r.stderr.trim()).toMatch(message);
      expect(r.stdout).toBe('');
    }
  });
});

describe('project discovery and a broken arxfile.json', () => {
  it('every tool reports a broken arxfile.json as the usual configuration error, exit 2', () => {
    const p = project('{\n  "project_id": "x"\n  "name": "y"\n}\n');
    write(p.dir, 'symbols/mechanical/ahu.json', json(symbol()));
    for (const command of ['validate-symbols', 'update-index', 'test', 'generate-reports']) {
      const r = p.run(command);
      expect(r.code, command).toBe(2);
      expect(r.stderr.trim(), command).toMatch(/^arx: error: .*arxfile\.json: invalid JSON at line 3, column 3: a comma was expected$/);
    }
    expect(existsSync(join(p.dir, 'symbols/index.json'))).toBe(false);
    expect(existsSync(join(p.dir, 'reports'))).toBe(false);
  });

  it('no project: exit 2 with how to make one; --project DIR and parent folders find it; no remote is needed', () => {
    const outside = tempDir();
    const r = arx(['validate-symbols'], { cwd: outside, env: cleanEnv(outside) });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('run `arx init`');
    // An sftp remote without a host would stop `arx sync`; these tools never need it.
    const p = project({ project_id: 'tools1' });
    write(p.home, '.arxconfig.json', JSON.stringify({ remote: { type: 'sftp' } }));
    write(p.dir, 'symbols/mechanical/ahu.json', json(symbol()));
    expect(arx(['validate-symbols', '--project', p.dir], { cwd: outside, env: p.env }).stdout).toContain('1 symbol file: 1 valid');
    expect(arx(['test'], { cwd: join(p.dir, 'symbols', 'mechanical'), env: p.env }).code).toBe(0);
  });
});

describe('arx update-index', () => {
  function indexed(): Project {
    const p = project();
    write(p.dir, 'symbols/mechanical/ahu.json', json(symbol()));
    write(p.dir, 'symbols/mechanical/vav.json', json(symbol({ id: 'vav' })));
    write(p.dir, 'symbols/electrical/panel.json', json(symbol({ id: 'panel', system: 'electrical' })));
    write(p.dir, 'symbols/electrical/broken.json', json(symbol({ id: 'broken', subcategory: 'x' })));
    return p;
  }

  it('writes index.json and categories.json from the valid symbols, sorted, 2-space JSON with a final newline', () => {
    const p = indexed();
    const r = p.run('update-index');
    expect(r.code, r.stderr).toBe(0);
    expect(read(p.dir, 'symbols/index.json')).toBe('{\n  "symbols": [\n    "ahu_1",\n    "panel",\n    "vav"\n  ]\n}\n');
    expect(JSON.parse(read(p.dir, 'symbols/categories.json'))).toEqual({ categories: { electrical: ['panel'], mechanical: ['ahu_1', 'vav'] } });
    expect(read(p.dir, 'symbols/categories.json')).toBe(json({ categories: { electrical: ['panel'], mechanical: ['ahu_1', 'vav'] } }));
    expect(Object.keys(JSON.parse(read(p.dir, 'symbols/categories.json')).categories)).toEqual(['electrical', 'mechanical']);
    expect(r.stdout).toContain('wrote symbols/index.json (3 symbols)');
    expect(r.stdout).toContain('wrote symbols/categories.json (2 systems)');
    expect(r.stderr).toContain('1 invalid symbol file was left out of the index; arx validate-symbols lists the problems');
    expect(readdirSync(join(p.dir, 'symbols')).sort()).toEqual(['categories.json', 'electrical', 'index.json', 'mechanical']);
    // The index files are not symbols themselves.
    expect(p.run('validate-symbols').stdout).toContain('4 symbol files: 3 valid, 1 invalid');
  });

  it('a second run leaves both files untouched (same bytes, same mtime) and says so; a new symbol changes them', () => {
    const p = indexed();
    expect(p.run('update-index').code).toBe(0);
    const old = new Date('2001-02-03T04:05:06Z');
    for (const f of ['symbols/index.json', 'symbols/categories.json']) utimesSync(join(p.dir, f), old, old);
    const before = [read(p.dir, 'symbols/index.json'), read(p.dir, 'symbols/categories.json')];
    const r = p.run('update-index');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('index up to date (3 symbols)\n');
    expect([read(p.dir, 'symbols/index.json'), read(p.dir, 'symbols/categories.json')]).toEqual(before);
    for (const f of ['symbols/index.json', 'symbols/categories.json']) expect(statSync(join(p.dir, f)).mtime.getTime()).toBe(old.getTime());

    write(p.dir, 'symbols/plumbing/valve.json', json(symbol({ id: 'valve', system: 'plumbing' })));
    const again = p.run('update-index');
    expect(again.stdout).toContain('wrote symbols/index.json (4 symbols)');
    expect(JSON.parse(read(p.dir, 'symbols/index.json')).symbols).toEqual(['ahu_1', 'panel', 'valve', 'vav']);
    expect(JSON.parse(read(p.dir, 'symbols/categories.json')).categories.plumbing).toEqual(['valve']);
  });

  it('a duplicate id is listed once, with a warning naming both files', () => {
    const p = indexed();
    write(p.dir, 'symbols/hvac/ahu.json', json(symbol({ system: 'hvac' })));
    const r = p.run('update-index');
    expect(r.code).toBe(0);
    expect(JSON.parse(read(p.dir, 'symbols/index.json')).symbols).toEqual(['ahu_1', 'panel', 'vav']);
    expect(JSON.parse(read(p.dir, 'symbols/categories.json')).categories).toEqual({ electrical: ['panel'], hvac: ['ahu_1'], mechanical: ['ahu_1', 'vav'] });
    expect(r.stderr).toMatch(/symbol id "ahu_1" is used by 2 files \(symbols\/hvac\/ahu\.json, symbols\/mechanical\/ahu\.json\)/);
  });

  it('no symbols folder: writes nothing and says so', () => {
    const p = project();
    const r = p.run('update-index');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('no symbols folder');
    expect(existsSync(join(p.dir, 'symbols'))).toBe(false);
  });

  it('an unchanged index gives the next sync nothing to do', () => {
    const p = project({ project_id: 'tools1' });
    write(p.dir, 'symbols/mechanical/ahu.json', json(symbol()));
    expect(p.run('update-index').code).toBe(0);
    expect(p.run('sync', '--quiet').code).toBe(0);
    expect(p.run('update-index').stdout).toContain('index up to date');
    const s = JSON.parse(p.run('sync', '--json', '--quiet').stdout);
    expect(s.files_uploaded + s.files_downloaded + s.files_deleted).toBe(0);
  });
});

describe('arx test', () => {
  it('passes with valid symbols and rules: a summary line per check, exit 0', () => {
    const p = project();
    write(p.dir, 'symbols/mechanical/ahu.json', json(symbol()));
    write(p.dir, 'rules/clearance.json', json({ min_clearance_mm: 600 }));
    write(p.dir, 'rules/fire/egress.json', json([{ max_travel_m: 45 }]));
    const r = p.run('test');
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).toBe('symbols: 1 valid, 0 invalid\nrules: 2 files, all valid JSON\nall checks passed\n');
  });

  it('a rules file with broken JSON fails with file, line and column; exit 1', () => {
    const p = project();
    write(p.dir, 'symbols/mechanical/ahu.json', json(symbol()));
    write(p.dir, 'rules/clearance.json', json({ min_clearance_mm: 600 }));
    write(p.dir, 'rules/fire/egress.json', '{\n  "max_travel_m": 45,\n}\n');
    const r = p.run('test');
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('rules/fire/egress.json: /: invalid JSON at line 3, column 1');
    expect(r.stdout).toContain('rules: 2 files, 1 with invalid JSON');
    expect(r.stdout).toContain('symbols: 1 valid, 0 invalid');
    expect(r.stdout).toContain('checks failed: rules');
  });

  it('an invalid symbol fails the symbols check; --json gives the details', () => {
    const p = project();
    write(p.dir, 'symbols/mechanical/ahu.json', json(symbol({ system: 'telecom' })));
    write(p.dir, 'rules/a.json', '{}');
    const r = p.run('test');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^symbols\/mechanical\/ahu\.json: \/system: must be one of /m);
    expect(r.stdout).toContain('symbols: 0 valid, 1 invalid');
    expect(r.stdout).toContain('checks failed: symbols');
    const j = p.run('test', '--json');
    expect(j.code).toBe(1);
    const out = JSON.parse(j.stdout);
    expect(out.passed).toBe(false);
    expect(out.symbols).toMatchObject({ passed: false, total_files: 1, valid_files: 0 });
    expect(out.symbols.invalid_files[0].file).toBe('symbols/mechanical/ahu.json');
    expect(out.rules).toMatchObject({ passed: true, total_files: 1, valid_files: 1, invalid_files: [] });
  });
});

describe('arx generate-reports', () => {
  // The remote is the embedded default under the test's own HOME.
  const arxfile = (_remoteRoot: string) => ({
    project_id: 'hq-tower',
    name: 'HQ Tower',
    description: 'Head office | main building',
    version: '2.1',
    permissions: { owner: 'ana', editors: ['ben', 'cy'], viewers: ['dee'] },
  });

  function reported(): Project {
    const p = project(arxfile(join(tempDir(), 'remote')));
    write(p.dir, 'symbols/mechanical/ahu.json', json(symbol()));
    write(p.dir, 'symbols/electrical/panel.json', json(symbol({ id: 'panel', system: 'electrical' })));
    write(p.dir, 'symbols/electrical/bad.json', json(symbol({ id: 'bad', system: 'electrical', subcategory: 'x' })));
    write(p.dir, 'symbols/telecom/rack.json', '{ "id": "rack", ');
    write(p.dir, 'rules/a.json', '{}\n');
    write(p.dir, 'models/tower.ifc', Buffer.alloc(1500, 1));
    write(p.dir, '.env', 'SECRET=1\n');
    return p;
  }

  it('writes summary.md and summary.json: project, files per folder, symbols per system, no syncs yet', () => {
    const p = reported();
    const r = p.run('generate-reports');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('wrote reports/summary.md\nwrote reports/summary.json\n');
    const j = JSON.parse(read(p.dir, 'reports/summary.json'));
    expect(j.project).toEqual({ id: 'hq-tower', name: 'HQ Tower', description: 'Head office | main building', version: '2.1', owner: 'ana', editors: ['ben', 'cy'], viewers: ['dee'] });
    expect(j.files.models).toEqual({ files: 1, bytes: 1500 });
    expect(j.files.rules).toEqual({ files: 1, bytes: 3 });
    expect(j.files.symbols.files).toBe(4);
    expect(j.files.reports).toEqual({ files: 0, bytes: 0 });
    expect(j.files.other.files).toBe(1); // arxfile.json; .env is left out
    expect(j.symbols).toEqual({
      total_files: 4,
      valid_files: 2,
      invalid_files: 2,
      by_system: { electrical: { valid: 1, invalid: 1 }, mechanical: { valid: 1, invalid: 0 }, telecom: { valid: 0, invalid: 1 } },
    });
    expect(j.syncs).toEqual([]);
    const md = read(p.dir, 'reports/summary.md');
    expect(md).toContain('# Project report: HQ Tower');
    expect(md).toContain('| Description | Head office \\| main building |');
    expect(md).toContain('| Editors | ben, cy |');
    expect(md).toContain('4 symbol files: 2 valid, 2 invalid.');
    expect(md).toContain('| electrical | 1 | 1 |');
    expect(md).toContain('| models | 1 | 1.5 KiB |');
    expect(md).toContain('No syncs yet.');
    expect(existsSync(join(p.dir, '.arx'))).toBe(false);
  });

  it('a second run changes nothing (same bytes, same mtime); a change in the project shows up', () => {
    const p = reported();
    expect(p.run('generate-reports').code).toBe(0);
    const old = new Date('2001-02-03T04:05:06Z');
    const files = ['reports/summary.md', 'reports/summary.json'];
    for (const f of files) utimesSync(join(p.dir, f), old, old);
    const before = files.map((f) => read(p.dir, f));
    const r = p.run('generate-reports');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('reports up to date\n');
    expect(files.map((f) => read(p.dir, f))).toEqual(before);
    for (const f of files) expect(statSync(join(p.dir, f)).mtime.getTime()).toBe(old.getTime());

    write(p.dir, 'reports/notes.txt', 'hello');
    expect(p.run('generate-reports').stdout).toContain('wrote reports/summary.json');
    expect(JSON.parse(read(p.dir, 'reports/summary.json')).files.reports).toEqual({ files: 1, bytes: 5 });
  });

  it('after a real sync, the last syncs from the history appear in both reports', () => {
    const p = reported();
    const s1 = p.run('sync', '--quiet');
    expect(s1.code, s1.stderr).toBe(0);
    write(p.dir, 'models/annex.ifc', 'x');
    expect(p.run('sync', '--quiet').code).toBe(0);
    const history = JSON.parse(p.run('history', '--json').stdout);
    expect(history).toHaveLength(2);
    expect(p.run('generate-reports').code).toBe(0);
    const j = JSON.parse(read(p.dir, 'reports/summary.json'));
    expect(j.syncs.map((s: { sync_id: string }) => s.sync_id)).toEqual(history.map((s: { sync_id: string }) => s.sync_id));
    expect(j.syncs[0]).toEqual({
      sync_id: history[0].sync_id,
      status: 'completed',
      start_time: history[0].start_time,
      duration_ms: history[0].duration_ms,
      files_uploaded: 1,
      files_downloaded: 0,
      files_deleted: 0,
      conflicts_pending: 0,
    });
    expect(j.syncs[1].files_uploaded).toBe(history[1].files_uploaded);
    expect(j.syncs[1].files_uploaded).toBeGreaterThan(3);
    const md = read(p.dir, 'reports/summary.md');
    expect(md).toContain(`| ${history[0].sync_id} | completed |`);
    expect(md).not.toContain('No syncs yet.');
    expect(p.run('generate-reports').stdout).toBe('reports up to date\n');
  });
});
