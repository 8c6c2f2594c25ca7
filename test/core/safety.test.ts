/**
 * Table-driven tests for the safety halts checked on a plan before anything
 * is changed.
 */
import { describe, expect, it } from 'vitest';
import type { BaseEntry, Entry, Side } from '../../src/core/entry.js';
import type { Action } from '../../src/core/reconcile.js';
import { reconcile, type PathState } from '../../src/core/reconcile.js';
import { checkSafety, countFiles, MIN_DELETES_FOR_HALT, type SafetyCounts, type SafetyHalt, type SafetyInput } from '../../src/core/safety.js';

// ---------------------------------------------------------------------------
// Builders
// ---------------------------------------------------------------------------

const STAT = { size: 10, mtimeMs: 1_700_000_000_000 };
const DESCRIBE: Record<Side, string> = { local: 'the project folder /p', remote: 'the remote (/srv/x)' };

const file = (hash = 'h'): Entry => ({ kind: 'file', size: STAT.size, mtimeMs: STAT.mtimeMs, hash });
const dir = (): Entry => ({ kind: 'dir' });
const bfile = (hash = 'h'): BaseEntry => ({ kind: 'file', hash, local: { ...STAT }, remote: { ...STAT } });
const bdir = (): BaseEntry => ({ kind: 'dir', hash: null, local: { size: 0, mtimeMs: 0 }, remote: { size: 0, mtimeMs: 0 } });

/** Names f0..f{n-1}. */
const names = (n: number, prefix = 'f'): string[] => Array.from({ length: n }, (_, i) => `${prefix}${i}`);
const files = (paths: string[]): Map<string, Entry> => new Map(paths.map((p) => [p, file()]));
const baseFiles = (paths: string[]): Map<string, BaseEntry> => new Map(paths.map((p) => [p, bfile()]));
const deletes = (paths: string[], to: Side, kind: 'file' | 'dir' = 'file'): Action[] =>
  paths.map((path) => ({ path, type: 'delete', to, kind, reason: 'test' }));
const copies = (paths: string[], to: Side): Action[] => paths.map((path) => ({ path, type: 'copy', to, kind: 'file', reason: 'test' }));

interface TableInput extends Omit<SafetyInput, keyof SafetyCounts> {
  base: Map<string, BaseEntry>;
  local: Map<string, Entry>;
  remote: Map<string, Entry>;
  anchors?: string[];
  unlisted?: Record<Side, number>;
}

/** Cases are written with whole maps; the core takes counts of them. */
function input(over: Partial<TableInput>): SafetyInput {
  const t: TableInput = {
    base: new Map(),
    local: new Map(),
    remote: new Map(),
    remoteRootExists: true,
    actions: [],
    maxDeletePercent: 50,
    describe: DESCRIBE,
    ...over,
  };
  const { base, local, remote, anchors, unlisted, ...rest } = t;
  return { ...rest, ...countFiles(base, { local, remote }, anchors, unlisted) };
}

// ---------------------------------------------------------------------------
// The table
// ---------------------------------------------------------------------------

interface Case {
  name: string;
  input: SafetyInput;
  /** Expected halt code and side; undefined = no halt. */
  want?: Pick<SafetyHalt, 'code' | 'side'>;
}

const all10 = names(10);

const cases: Case[] = [
  // --- first sync -----------------------------------------------------------
  {
    name: 'first sync: empty base, remote folder missing, many local files: no halt',
    input: input({ local: files(names(100)), remoteRootExists: false, actions: copies(names(100), 'remote') }),
  },
  {
    name: 'first sync: empty base, both sides empty: no halt',
    input: input({}),
  },
  {
    name: 'first sync: empty base, remote full, local empty: no halt',
    input: input({ remote: files(names(50)), actions: copies(names(50), 'local') }),
  },
  {
    name: 'base with folders only, remote missing: no synced files to protect, no halt',
    input: input({ base: new Map([['d', bdir()]]), local: new Map([['d', dir()]]), remoteRootExists: false }),
  },

  // --- REMOTE_MISSING ----------------------------------------------------------
  {
    name: 'remote folder missing with synced files: REMOTE_MISSING',
    input: input({ base: baseFiles(names(3)), local: files(names(3)), remoteRootExists: false, actions: deletes(names(3), 'local') }),
    want: { code: 'REMOTE_MISSING', side: 'remote' },
  },
  {
    name: 'remote folder missing with a single synced file: REMOTE_MISSING',
    input: input({ base: baseFiles(['only']), local: files(['only']), remoteRootExists: false }),
    want: { code: 'REMOTE_MISSING', side: 'remote' },
  },
  {
    name: 'remote folder missing is reported before an emptied local side',
    input: input({ base: baseFiles(names(3)), remoteRootExists: false }),
    want: { code: 'REMOTE_MISSING', side: 'remote' },
  },

  // --- SIDE_EMPTIED --------------------------------------------------------
  {
    name: 'remote exists but holds none of the synced files: SIDE_EMPTIED remote',
    input: input({ base: baseFiles(names(3)), local: files(names(3)), actions: deletes(names(3), 'local') }),
    want: { code: 'SIDE_EMPTIED', side: 'remote' },
  },
  {
    name: 'remote holds only new unrelated files: not emptied (3 deletes stay under the mass-deletion floor)',
    input: input({
      base: baseFiles(names(3)),
      local: files(names(3)),
      remote: new Map<string, Entry>([['other.txt', file()], ['newdir', dir()]]),
      actions: deletes(names(3), 'local'),
    }),
    want: undefined,
  },
  {
    name: 'remote holds only new folders: SIDE_EMPTIED remote',
    input: input({
      base: baseFiles(names(3)),
      local: files(names(3)),
      remote: new Map<string, Entry>([['newdir', dir()]]),
      actions: deletes(names(3), 'local'),
    }),
    want: { code: 'SIDE_EMPTIED', side: 'remote' },
  },
  {
    name: 'remote holds the synced paths only as folders: SIDE_EMPTIED remote',
    input: input({
      base: baseFiles(names(2)),
      local: files(names(2)),
      remote: new Map(names(2).map((p) => [p, dir()])),
      actions: names(2).map((path) => ({ path, type: 'mkdir', to: 'local', kind: 'dir', replaces: 'file', reason: 'replaced by a folder on remote' }) as Action),
    }),
    want: { code: 'SIDE_EMPTIED', side: 'remote' },
  },
  {
    name: 'remote lost every synced file, but local changed them all: the plan only uploads, so no SIDE_EMPTIED',
    input: input({ base: baseFiles(names(3)), local: files(names(3)), actions: names(3).map((path) => ({ path, type: 'copy', to: 'remote', kind: 'file', reason: 'deleted on remote, changed on local: the change wins' }) as Action) }),
    want: undefined,
  },
  {
    name: 'local lost every synced file that remote changed: only downloads, no SIDE_EMPTIED',
    input: input({ base: baseFiles(names(4)), remote: files(names(4)), actions: names(4).map((path) => ({ path, type: 'copy', to: 'local', kind: 'file', reason: 'deleted on local, changed on remote: the change wins' }) as Action) }),
    want: undefined,
  },
  {
    name: 'local holds none of the synced files: SIDE_EMPTIED local',
    input: input({ base: baseFiles(names(4)), remote: files(names(4)), actions: deletes(names(4), 'remote') }),
    want: { code: 'SIDE_EMPTIED', side: 'local' },
  },
  {
    name: 'local emptied even when the base also has folders: SIDE_EMPTIED local',
    input: input({
      base: new Map([...baseFiles(['d/a', 'd/b']), ['d', bdir()]]),
      local: new Map([['d', dir()]]),
      remote: new Map<string, Entry>([['d', dir()], ['d/a', file()], ['d/b', file()]]),
      actions: deletes(['d/a', 'd/b'], 'remote'),
    }),
    want: { code: 'SIDE_EMPTIED', side: 'local' },
  },
  {
    name: 'one synced file still on each side: no SIDE_EMPTIED (few deletes)',
    input: input({ base: baseFiles(names(4)), local: files(['f0']), remote: files(names(4)), actions: deletes(['f1', 'f2', 'f3'], 'remote') }),
  },

  // --- TOO_MANY_DELETES ------------------------------------------------------
  {
    name: '6 of 10 files deleted on remote at 50%: TOO_MANY_DELETES remote',
    input: input({ base: baseFiles(all10), local: files(all10.slice(6)), remote: files(all10), actions: deletes(all10.slice(0, 6), 'remote') }),
    want: { code: 'TOO_MANY_DELETES', side: 'remote' },
  },
  {
    name: '6 of 10 files deleted on local at 50%: TOO_MANY_DELETES local',
    input: input({ base: baseFiles(all10), local: files(all10), remote: files(all10.slice(6)), actions: deletes(all10.slice(0, 6), 'local') }),
    want: { code: 'TOO_MANY_DELETES', side: 'local' },
  },
  {
    name: '6 of 7 files deleted at 50%: TOO_MANY_DELETES',
    input: input({ base: baseFiles(names(7)), local: files(['f6']), remote: files(names(7)), actions: deletes(names(6), 'remote') }),
    want: { code: 'TOO_MANY_DELETES', side: 'remote' },
  },
  {
    name: 'exactly 5 deletes of 6 files: not more than the minimum, no halt',
    input: input({ base: baseFiles(names(6)), local: files(['f5']), remote: files(names(6)), actions: deletes(names(5), 'remote') }),
  },
  {
    name: 'exactly 5 deletes of 6 files even at 0%: no halt',
    input: input({ base: baseFiles(names(6)), local: files(['f5']), remote: files(names(6)), actions: deletes(names(5), 'remote'), maxDeletePercent: 0 }),
  },
  {
    name: '6 deletes of 20 files at 50%: below percentage, no halt',
    input: input({ base: baseFiles(names(20)), local: files(names(20).slice(6)), remote: files(names(20)), actions: deletes(names(6), 'remote') }),
  },
  {
    name: '10 deletes of 20 files at 50%: exactly at the limit, no halt',
    input: input({ base: baseFiles(names(20)), local: files(names(20).slice(10)), remote: files(names(20)), actions: deletes(names(10), 'remote') }),
  },
  {
    name: '11 deletes of 20 files at 50%: above the limit, halt',
    input: input({ base: baseFiles(names(20)), local: files(names(20).slice(11)), remote: files(names(20)), actions: deletes(names(11), 'remote') }),
    want: { code: 'TOO_MANY_DELETES', side: 'remote' },
  },
  {
    name: '8 of 10 at 100%: never above the limit, no halt',
    input: input({ base: baseFiles(all10), local: files(all10.slice(8)), remote: files(all10), actions: deletes(all10.slice(0, 8), 'remote'), maxDeletePercent: 100 }),
  },
  {
    name: 'folder deletes do not count as file deletes',
    input: input({
      base: new Map([...baseFiles(all10), ...names(10, 'd').map((p): [string, BaseEntry] => [p, bdir()])]),
      local: files(all10),
      remote: files(all10),
      actions: deletes(names(10, 'd'), 'remote', 'dir'),
    }),
  },
  {
    name: 'deletes are counted per side: 3 + 3 does not reach the minimum',
    input: input({
      base: baseFiles(all10),
      local: files(all10.slice(3)),
      remote: new Map([...files(all10.slice(0, 3)), ...files(all10.slice(6))]),
      actions: [...deletes(all10.slice(0, 3), 'remote'), ...deletes(all10.slice(3, 6), 'local')],
      maxDeletePercent: 0,
    }),
  },
];

describe('checkSafety', () => {
  it('keeps the minimum of deletions at 5', () => {
    expect(MIN_DELETES_FOR_HALT).toBe(5);
  });

  it.each(cases)('$name', ({ input: inp, want }) => {
    const halt = checkSafety(inp);
    if (want === undefined) {
      expect(halt).toBeUndefined();
      return;
    }
    expect(halt).toBeDefined();
    expect({ code: halt!.code, side: halt!.side }).toEqual(want);
    expect(halt!.message).toContain(DESCRIBE[want.side]);
  });

  it('TOO_MANY_DELETES message names the count, total and percentage', () => {
    const halt = checkSafety(
      input({ base: baseFiles(all10), local: files(all10.slice(6)), remote: files(all10), actions: deletes(all10.slice(0, 6), 'remote') }),
    );
    expect(halt?.message).toContain('6 of 10');
    expect(halt?.message).toContain('60%');
    expect(halt?.message).toContain('50%');
  });

  it('REMOTE_MISSING message names how many files were synced', () => {
    const halt = checkSafety(input({ base: baseFiles(names(3)), local: files(names(3)), remoteRootExists: false }));
    expect(halt?.message).toContain('3 files');
  });

  it('end to end with reconcile: local mass deletion is halted, a small one is not', () => {
    const paths = names(12);
    const base = baseFiles(paths);
    const remote = files(paths);
    const run = (localPaths: string[]): SafetyHalt | undefined => {
      const local = files(localPaths);
      const states: PathState[] = paths.map((path) => {
        const s: PathState = { path, base: base.get(path)! };
        const l = local.get(path);
        if (l) s.local = l;
        s.remote = remote.get(path)!;
        return s;
      });
      const { actions } = reconcile(states);
      return checkSafety(input({ base, local, remote, actions }));
    };
    expect(run(paths.slice(7))?.code).toBe('TOO_MANY_DELETES'); // 7 of 12 deleted
    expect(run(paths.slice(5))).toBeUndefined(); // 5 of 12 deleted
    expect(run([])?.code).toBe('SIDE_EMPTIED'); // all deleted
  });
});
