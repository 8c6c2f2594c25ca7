/** The base journal: finished actions survive a killed process, in order, and reach the real SQLite file. */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BaseEntry } from '../../src/core/entry.js';
import { BASE_JOURNAL } from '../../src/state/base-journal.js';
import { StateStore } from '../../src/state/store.js';
import { tempDir } from '../helpers/cli.js';

function entry(hash: string): BaseEntry {
  return { kind: 'file', hash, local: { size: 1, mtimeMs: 1000, ctimeMs: 2000, ino: 7 }, remote: { size: 1, mtimeMs: 1000 } };
}

/** A second process's view of the same state folder (the first one "killed": never closed). */
function reopen(dir: string): StateStore {
  return StateStore.open(dir);
}

describe('base journal', () => {
  it('keeps every finished action of a killed process; the next lock holder applies them', () => {
    const dir = tempDir('arx-journal-');
    const killed = StateStore.open(dir);
    killed.putBase('r', 'kept-before.json', entry('a'));
    killed.startJournal();
    killed.putBase('r', 'one.json', entry('1'));
    killed.putBase('r', 'two.json', entry('2'));
    killed.deleteBase('r', 'kept-before.json');
    // Not yet in the database: another connection does not see them.
    const other = reopen(dir);
    expect(other.getBase('r', 'one.json')).toBeUndefined();
    expect(readFileSync(join(dir, BASE_JOURNAL), 'utf8').split('\n').length).toBe(4);
    // The process dies here. The next command holding the lock recovers.
    expect(other.recoverJournal()).toBe(3);
    expect(other.getBase('r', 'one.json')).toEqual(entry('1'));
    expect(other.getBase('r', 'two.json')).toEqual(entry('2'));
    expect(other.getBase('r', 'kept-before.json')).toBeUndefined();
    expect(existsSync(join(dir, BASE_JOURNAL))).toBe(false);
    other.close();
  });

  it('ignores a line cut short by the kill', () => {
    const dir = tempDir('arx-journal-');
    const killed = StateStore.open(dir);
    killed.startJournal();
    killed.putBase('r', 'whole.json', entry('w'));
    appendFileSync(join(dir, BASE_JOURNAL), '["put","r","cut.json","file"');
    const next = reopen(dir);
    expect(next.recoverJournal()).toBe(1);
    expect(next.getBase('r', 'whole.json')).toEqual(entry('w'));
    expect(next.getBase('r', 'cut.json')).toBeUndefined();
    next.close();
  });

  it('applies journaled changes before any other write or read, so order is kept', () => {
    const dir = tempDir('arx-journal-');
    const store = StateStore.open(dir);
    store.startJournal();
    store.putBase('r', 'x.json', entry('journaled'));
    // A direct write (a transaction) after it must win, and a read must see both.
    store.transaction(() => store.putBase('r', 'x.json', entry('direct')));
    store.putBase('r', 'y.json', entry('y'));
    expect(store.getBase('r', 'x.json')).toEqual(entry('direct'));
    expect(store.countBase('r')).toBe(2);
    store.stopJournal();
    expect(existsSync(join(dir, BASE_JOURNAL))).toBe(false);
    store.close();
    const after = reopen(dir);
    expect(after.recoverJournal()).toBe(0);
    expect(after.getBase('r', 'x.json')).toEqual(entry('direct'));
    after.close();
  });

  it('reaches the database in batches while a long transfer runs', () => {
    const dir = tempDir('arx-journal-');
    const store = StateStore.open(dir);
    store.startJournal();
    for (let i = 0; i < 3000; i++) store.putBase('r', `f${i}.json`, entry(String(i)));
    const other = reopen(dir);
    // Whole batches are in the database; the journal holds only the rest.
    expect(other.countBase('r')).toBeGreaterThanOrEqual(2048);
    expect(readFileSync(join(dir, BASE_JOURNAL), 'utf8').split('\n').length - 1).toBe(3000 - other.countBase('r'));
    store.close();
    expect(other.countBase('r')).toBe(3000);
    other.close();
  });
});
