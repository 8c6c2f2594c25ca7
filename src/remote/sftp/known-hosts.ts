/**
 * OpenSSH known_hosts: look a server's host key up, and record a trusted one.
 * Lines are `[marker] hostnames keytype base64-key [comment]`; hostnames are
 * comma-separated patterns (`*`, `?`, `!negation`, `[host]:port`) or one
 * hashed name `|1|salt|hmac-sha1`.
 */
import { createHash, createHmac } from 'node:crypto';
import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { errnoCode } from '../../errors.js';

export type HostKeyCheck =
  | { status: 'known' }
  | { status: 'unknown'; otherTypes: string[] }
  | { status: 'changed'; file: string; line: number }
  | { status: 'revoked'; file: string; line: number };

/** How known_hosts names a host: `host`, or `[host]:port` when the port is not 22. */
export function hostName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** The key's type, read from its wire-format blob (e.g. "ssh-ed25519"). */
export function keyType(blob: Buffer): string {
  const len = blob.readUInt32BE(0);
  return blob.subarray(4, 4 + len).toString('latin1');
}

/** OpenSSH's fingerprint: `SHA256:` and the unpadded base64 of the blob's sha256. */
export function fingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

function globToRegExp(glob: string): RegExp {
  const re = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${re}$`, 'i');
}

function matchesHost(field: string, name: string): boolean {
  if (field.startsWith('|1|')) {
    const [, , salt, hash] = field.split('|');
    if (!salt || !hash) return false;
    return createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64') === hash;
  }
  let matched = false;
  for (const pattern of field.split(',')) {
    const negated = pattern.startsWith('!');
    if (globToRegExp(negated ? pattern.slice(1) : pattern).test(name)) {
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}

function readLines(file: string): string[] {
  try {
    return readFileSync(file, 'utf8').split(/\r?\n/);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return [];
    throw err;
  }
}

export function checkHostKey(files: string[], host: string, port: number, blob: Buffer): HostKeyCheck {
  const name = hostName(host, port);
  const type = keyType(blob);
  const key = blob.toString('base64');
  const otherTypes: string[] = [];
  let changed: HostKeyCheck | undefined;
  for (const file of files) {
    const lines = readLines(file);
    for (let i = 0; i < lines.length; i++) {
      const fields = lines[i]!.trim().split(/\s+/);
      if (fields[0] === undefined || fields[0] === '' || fields[0].startsWith('#')) continue;
      const marker = fields[0].startsWith('@') ? fields.shift() : undefined;
      const [hosts, t, k] = fields;
      if (!hosts || !t || !k || marker === '@cert-authority' || !matchesHost(hosts, name)) continue;
      if (marker === '@revoked') {
        if (k === key) return { status: 'revoked', file, line: i + 1 };
        continue;
      }
      if (t !== type) otherTypes.push(t);
      else if (k === key) return { status: 'known' };
      else changed ??= { status: 'changed', file, line: i + 1 };
    }
  }
  return changed ?? { status: 'unknown', otherTypes };
}

/** Record a trusted host key (creating the file, private, if needed). */
export function addHostKey(file: string, host: string, port: number, blob: Buffer): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const existing = readLines(file);
  const needsNewline = existing.length > 0 && existing[existing.length - 1] !== '';
  appendFileSync(file, `${needsNewline ? '\n' : ''}${hostName(host, port)} ${keyType(blob)} ${blob.toString('base64')}\n`, { mode: 0o600 });
}
