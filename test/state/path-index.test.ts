/** The byte-keyed path index of the base: always agrees with a plain map of the same paths. */
import { describe, expect, it } from 'vitest';
import { PathIndex } from '../../src/state/path-index.js';

/** A small deterministic generator (the same sequence on every run). */
function random(seed: number): () => number {
  let s = seed;
  return () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s / 2 ** 32;
  };
}

const NAMES = ['a', 'b.json', 'ahu 1, 世界.json', 'é', 'e\u0301', 'x'.repeat(300), '😀', 'line\nbreak', 'symbols/mech', 'symbols/mech/ahu.json'];

/** Every row of `index` is where `model` says, found both by string and by bytes; nothing else is found. */
function expectAgrees(index: PathIndex, model: string[]): void {
  expect(index.size).toBe(model.length);
  model.forEach((path, row) => {
    expect(index.rowOf(path), path).toBe(row);
    const bytes = Buffer.from(`>>${path}<<`);
    expect(index.rowOfBytes(bytes, 2, bytes.length - 2), path).toBe(row);
  });
  for (const absent of ['', 'nope', 'symbols', 'b.jso', 'b.json/']) if (!model.includes(absent)) expect(index.rowOf(absent)).toBe(-1);
}

describe('PathIndex', () => {
  it('finds every path by its string and by its UTF-8 bytes, through adds and removals that move the last row', () => {
    const next = random(7);
    const index = new PathIndex();
    const model: string[] = [];
    for (let step = 0; step < 6000; step++) {
      if (model.length > 0 && next() < 0.4) {
        const row = Math.floor(next() * model.length);
        index.removeRow(row);
        const last = model.pop()!;
        if (row < model.length) model[row] = last;
      } else {
        const path = `${NAMES[Math.floor(next() * NAMES.length)]}/${step}`;
        expect(index.add(path)).toBe(model.length);
        model.push(path);
      }
      if (step % 500 === 0) expectAgrees(index, model);
    }
    expectAgrees(index, model);
    // Emptied completely, it still works.
    while (model.length > 0) {
      index.removeRow(0);
      const last = model.pop()!;
      if (model.length > 0) model[0] = last;
    }
    expectAgrees(index, model);
    expect(index.add('again')).toBe(0);
    expect(index.rowOf('again')).toBe(0);
  });

  it('tells apart paths whose characters look alike but whose bytes differ', () => {
    const index = new PathIndex();
    for (const p of NAMES) index.add(p);
    expectAgrees(index, NAMES);
  });

  it('comes back from its snapshot form with the same slots, and refuses one that does not fit together', () => {
    const built = new PathIndex();
    for (const p of NAMES) built.add(p);
    const joined = Buffer.from(NAMES.join('\0'));
    const slots = (): Int32Array => Int32Array.from(built.snapshotSlots);
    const starts = (): Uint32Array => built.writePaths(Buffer.alloc(built.joinedBytes), 0);
    const index = PathIndex.fromSnapshot(joined, starts(), slots())!;
    expectAgrees(index, NAMES);
    expect(PathIndex.fromSnapshot(joined, starts().subarray(0, NAMES.length - 1), slots())).toBeUndefined();
    expect(PathIndex.fromSnapshot(joined, Uint32Array.from([...starts(), joined.length + 1]), slots())).toBeUndefined();
    const shifted = starts();
    shifted[3]! += 1;
    expect(PathIndex.fromSnapshot(joined, shifted, slots())).toBeUndefined();
    expect(PathIndex.fromSnapshot(joined, starts(), new Int32Array(8))).toBeUndefined();
    const repeated = slots();
    repeated[repeated.indexOf(0)] = 1;
    expect(PathIndex.fromSnapshot(joined, starts(), repeated)).toBeUndefined();
    const missing = slots();
    missing[missing.findIndex((v) => v !== 0)] = 0;
    expect(PathIndex.fromSnapshot(joined, starts(), missing)).toBeUndefined();
    expectAgrees(PathIndex.fromSnapshot(Buffer.alloc(0), new Uint32Array(0), new PathIndex().snapshotSlots)!, []);
    // Rows added after loading go on from there.
    expect(index.add('new')).toBe(NAMES.length);
    expectAgrees(index, [...NAMES, 'new']);
  });

  it('renumbers its rows without losing a path, and goes on adding and removing after', () => {
    const next = random(11);
    const index = new PathIndex();
    const model = Array.from({ length: 400 }, (_, i) => `${NAMES[i % NAMES.length]}/${i}`);
    for (const p of model) index.add(p);
    // A shuffled permutation: row i becomes the row that was oldRows[i].
    const oldRows = Uint32Array.from(model.keys());
    for (let i = oldRows.length - 1; i > 0; i--) {
      const j = Math.floor(next() * (i + 1));
      [oldRows[i], oldRows[j]] = [oldRows[j]!, oldRows[i]!];
    }
    index.renumber(oldRows);
    const renumbered = Array.from(oldRows, (old) => model[old]!);
    expectAgrees(index, renumbered);
    index.removeRow(3);
    renumbered[3] = renumbered.pop()!;
    expect(index.add('after')).toBe(renumbered.length);
    renumbered.push('after');
    expectAgrees(index, renumbered);
  });

  it('tries a hinted row first, and still finds the right row when the hint is wrong', () => {
    const index = new PathIndex();
    for (const p of NAMES) index.add(p);
    const bytes = Buffer.from('b.json');
    expect(index.rowOfBytes(bytes, 0, bytes.length, 1)).toBe(1);
    for (const hint of [-1, 0, 2, 3, NAMES.length, 10_000]) expect(index.rowOfBytes(bytes, 0, bytes.length, hint)).toBe(1);
    // Same length, other bytes: the hint is not taken.
    const other = Buffer.from('c.json');
    expect(index.rowOfBytes(other, 0, other.length, 1)).toBe(-1);
  });
});
