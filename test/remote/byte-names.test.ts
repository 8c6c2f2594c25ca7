/** ssh2's name decoding while a channel parses: byte-exact for names that are not UTF-8, unchanged otherwise. */
import { describe, expect, it } from 'vitest';
import { withEscapedNames } from '../../src/remote/sftp/byte-names.js';
import { pathBytes, showPath } from '../../src/util/path-bytes.js';

type Sliced = Buffer & { utf8Slice(start?: number, end?: number): string };
const slice = (b: Buffer, start?: number, end?: number) => (b as Sliced).utf8Slice(start, end);

describe('withEscapedNames', () => {
  it('decodes bytes that are not UTF-8 to their escapes, which give the same bytes back', () => {
    const raw = Buffer.from([0x78, 0x2f, 0x63, 0x61, 0x66, 0xe9, 0x2e, 0x6a, 0x73]); // "x/caf\xe9.js"
    const name = withEscapedNames(() => slice(raw, 2, raw.length));
    expect(showPath(name)).toBe('caf\\xe9.js');
    expect(pathBytes(name).equals(raw.subarray(2))).toBe(true);
    // Nested use (a callback that parses again) keeps it in place.
    expect(withEscapedNames(() => withEscapedNames(() => raw.toString('utf8')))).toBe('x/caf\udce9.js');
  });

  it('leaves valid UTF-8, a real U+FFFD among it, as it is', () => {
    const valid = Buffer.from('dör \uFFFD.json');
    expect(withEscapedNames(() => slice(valid))).toBe('dör \uFFFD.json');
  });

  it('is undone afterwards, also after a throw', () => {
    const raw = Buffer.from([0x61, 0xff]);
    expect(() => withEscapedNames(() => {
      throw new Error('parse failed');
    })).toThrow('parse failed');
    expect(raw.toString('utf8')).toBe('a\uFFFD');
    expect(slice(raw)).toBe('a\uFFFD');
  });
});
