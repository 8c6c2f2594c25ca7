import { describe, expect, it } from 'vitest';
import { decodePath, fsPath, isPlainPath, parseShownPath, pathBytes, showPath, showText } from '../../src/util/path-bytes.js';

const bytes = (...parts: (string | number[])[]) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));

describe('paths as bytes', () => {
  it('decodes valid UTF-8 as usual, and gives a plain string to the file system', () => {
    for (const name of ['a.json', 'symbols/ahu 1, 世界.json', 'real-\uFFFD.json', 'emoji 😀/x', '']) {
      expect(decodePath(Buffer.from(name))).toBe(name);
      expect(isPlainPath(name)).toBe(true);
      expect(fsPath(name)).toBe(name);
    }
  });

  it('escapes each byte that is not UTF-8, losslessly, and gives those bytes back', () => {
    const cases = [
      bytes('caf', [0xe9], '.json'),
      bytes('d', [0xf6], 'r/x'),
      bytes([0xff, 0xfe]),
      bytes('over', [0xc0, 0xaf]), // overlong '/'
      bytes('sur', [0xed, 0xb3, 0xa9]), // an encoded surrogate
      bytes('cut', [0xe4, 0xb8]), // a sequence cut short
      bytes('big', [0xf4, 0x90, 0x80, 0x80]), // above U+10FFFF
      bytes([0xf0, 0x9f, 0x98, 0x80], [0x80]), // a valid 4-byte character, then a stray continuation
    ];
    for (const b of cases) {
      const path = decodePath(b);
      expect(isPlainPath(path), b.toString('hex')).toBe(false);
      expect(pathBytes(path).equals(b), b.toString('hex')).toBe(true);
      expect(Buffer.isBuffer(fsPath(path))).toBe(true);
    }
    expect(decodePath(bytes('caf', [0xe9], '.json'))).toBe('caf\uDCE9.json');
  });

  it('shows paths unambiguously (escaped bytes as \\xNN, backslashes doubled) and reads the shown form back', () => {
    const latin = decodePath(bytes('caf', [0xe9], '.json'));
    expect(showPath(latin)).toBe('caf\\xe9.json');
    expect(showPath('plain/name.json')).toBe('plain/name.json');
    expect(showPath('caf\\xe9.json')).toBe('caf\\\\xe9.json');
    for (const p of [latin, 'plain/name.json', 'caf\\xe9.json', decodePath(bytes('a\\', [0xff], '\\b'))]) expect(parseShownPath(showPath(p))).toBe(p);
    expect(showText(`could not write ${latin}`)).toBe('could not write caf\\xe9.json');
  });
});
