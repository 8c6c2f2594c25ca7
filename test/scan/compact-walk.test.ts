import { describe, expect, it } from 'vitest';
import { compactEntry, CompactWalkBuilder } from '../../src/scan/walk.js';

describe('CompactWalkBuilder', () => {
  it('keeps every entry as it was added across the growth of its arrays', () => {
    for (const stride of [3, 5] as const) {
      const built = new CompactWalkBuilder(stride);
      // Folders and files alternate in runs so that each kind lands on the growth points (1024, 2048, ...).
      const expected: { path: string; kind: 'dir' | 'file'; size: number }[] = [];
      for (let i = 0; i < 5000; i++) {
        const kind = Math.floor(i / 3) % 2 === 0 ? 'dir' : 'file';
        const path = `p${i}`;
        if (kind === 'dir') built.dir(path);
        else built.file(path, i + 1, 1_000_000 + i, 2_000_000 + i, 7 + i);
        expected.push({ path, kind, size: kind === 'dir' ? 0 : i + 1 });
      }
      const walk = built.finish({ unreadable: [], links: [], special: [], temporaries: [], tooLarge: [] });
      expect(walk.paths.slice(0, 5000)).toEqual(expected.map((e) => e.path));
      for (let i = 0; i < expected.length; i++) {
        const e = compactEntry(walk, i);
        expect({ i, kind: e.kind, size: e.size }).toEqual({ i, kind: expected[i]!.kind, size: expected[i]!.size });
      }
    }
  });

  it('records a folder that arrives exactly when the arrays grow', () => {
    const built = new CompactWalkBuilder(5);
    for (let i = 0; i < 1024; i++) built.file(`f${i}`, 1, 1000, 1000, i + 1);
    built.dir('folder-at-the-growth-point');
    const walk = built.finish({ unreadable: [], links: [], special: [], temporaries: [], tooLarge: [] });
    expect(compactEntry(walk, 1024)).toEqual({ kind: 'dir', size: 0, mtimeMs: 0 });
  });
});
