/** known_hosts as OpenSSH reads it: markers, hashed names, `[host]:port`, several files. */
import { createHmac, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { addHostKey, checkEntries, checkHostKey, fingerprint, parseKnownHosts } from '../../src/remote/sftp/known-hosts.js';
import { tempDir } from '../helpers/cli.js';

/** A wire-format public key blob of the given type (its content is random: only equality matters here). */
function blob(type = 'ssh-ed25519'): Buffer {
  const t = Buffer.from(type);
  const k = randomBytes(32);
  const b = Buffer.alloc(8 + t.length + k.length);
  b.writeUInt32BE(t.length, 0);
  t.copy(b, 4);
  b.writeUInt32BE(k.length, 4 + t.length);
  k.copy(b, 8 + t.length);
  return b;
}

const line = (hosts: string, key: Buffer, marker = '') => `${marker ? `${marker} ` : ''}${hosts} ssh-ed25519 ${key.toString('base64')}`;

function hashed(name: string): string {
  const salt = randomBytes(20);
  return `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`;
}

const check = (text: string, host: string, port: number, key: Buffer) => checkEntries(parseKnownHosts(text, 'kh'), host, port, key);

describe('known_hosts', () => {
  const key = blob();
  const other = blob();

  it('parses markers, skips comments, blank and short lines, and numbers lines from 1', () => {
    const entries = parseKnownHosts(['# comment', '', 'short ssh-ed25519', line('a', key, '@revoked'), `  ${line('b,c', key)} comment words`].join('\n'), 'f');
    expect(entries).toEqual([
      { file: 'f', line: 4, marker: '@revoked', hosts: 'a', type: 'ssh-ed25519', key: key.toString('base64') },
      { file: 'f', line: 5, hosts: 'b,c', type: 'ssh-ed25519', key: key.toString('base64') },
    ]);
  });

  it('a listed key is known, another key of the same type changed, none unknown', () => {
    expect(check(line('h', key), 'h', 22, key).status).toBe('known');
    expect(check(line('h', other), 'h', 22, key)).toMatchObject({ status: 'changed', file: 'kh', line: 1 });
    expect(check(line('x', key), 'h', 22, key)).toMatchObject({ status: 'unknown', otherTypes: [] });
    expect(check(`h ssh-rsa ${other.toString('base64')}`, 'h', 22, key)).toMatchObject({ status: 'unknown', otherTypes: ['ssh-rsa'] });
  });

  it('@revoked refuses the key even when another line (before or after) trusts it', () => {
    for (const text of [[line('h', key), line('h', key, '@revoked')], [line('h', key, '@revoked'), line('h', key)]]) {
      expect(check(text.join('\n'), 'h', 22, key)).toMatchObject({ status: 'revoked', file: 'kh', line: text[0]!.startsWith('@') ? 1 : 2 });
    }
    // Only that key, and only for the hosts of its line.
    expect(check([line('h', key), line('h', other, '@revoked')].join('\n'), 'h', 22, key).status).toBe('known');
    expect(check([line('h', key), line('elsewhere', key, '@revoked')].join('\n'), 'h', 22, key).status).toBe('known');
    expect(check([line('h', key), line('*', key, '@revoked')].join('\n'), 'h', 22, key).status).toBe('revoked');
  });

  it('@revoked works with hashed names and [host]:port, and across files', () => {
    expect(check([line('[h]:2222', key), line(hashed('[h]:2222'), key, '@revoked')].join('\n'), 'h', 2222, key).status).toBe('revoked');
    expect(check([line(hashed('h'), key), line('[h]:2222', key, '@revoked')].join('\n'), 'h', 22, key).status).toBe('known');
    const dir = tempDir();
    writeFileSync(join(dir, 'one'), line('h', key) + '\n');
    writeFileSync(join(dir, 'two'), `# revoked after a leak\n${line('h', key, '@revoked')}\n`);
    expect(checkHostKey([join(dir, 'one'), join(dir, 'two'), join(dir, 'missing')], 'h', 22, key)).toMatchObject({ status: 'revoked', file: join(dir, 'two'), line: 2 });
  });

  it('hashed names, patterns and negation match as ssh does (host names in lower case)', () => {
    expect(check(line(hashed('files.example.com'), key), 'Files.Example.COM', 22, key).status).toBe('known');
    expect(check(line(hashed('[files.example.com]:2222'), key), 'files.example.com', 2222, key).status).toBe('known');
    expect(check(line(hashed('files.example.com'), key), 'files.example.com', 2222, key).status).toBe('unknown');
    expect(check(line('*.example.com,!bad.example.com', key), 'files.example.com', 22, key).status).toBe('known');
    expect(check(line('*.example.com,!bad.example.com', key), 'bad.example.com', 22, key).status).toBe('unknown');
  });

  it('@cert-authority and unknown markers for this host are ignored and reported; for other hosts not', () => {
    const text = [line('*.example.com', other, '@cert-authority'), line('h.example.com', key), line('h.example.com', other, '@future'), line('x.other.org', other, '@cert-authority')].join('\n');
    const r = check(text, 'h.example.com', 22, key);
    expect(r.status).toBe('known');
    expect(r.ignored).toEqual([
      { file: 'kh', line: 1, marker: '@cert-authority' },
      { file: 'kh', line: 3, marker: '@future' },
    ]);
    // A CA line never makes a key known.
    expect(check(line('h', key, '@cert-authority'), 'h', 22, key).status).toBe('unknown');
  });

  it('records a key as [host]:port, after a last line without a newline', () => {
    const file = join(tempDir(), 'ssh', 'known_hosts');
    addHostKey(file, 'h', 2222, key);
    writeFileSync(file, readFileSync(file, 'utf8') + '# no newline');
    addHostKey(file, 'h', 22, other);
    expect(readFileSync(file, 'utf8').split('\n')).toEqual([`[h]:2222 ssh-ed25519 ${key.toString('base64')}`, '# no newline', `h ssh-ed25519 ${other.toString('base64')}`, '']);
    expect(fingerprint(key)).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
  });
});
