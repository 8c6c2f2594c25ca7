/**
 * OpenSSH known_hosts (sshd(8), "SSH_KNOWN_HOSTS FILE FORMAT"): look a
 * server's host key up, and record a trusted one. Lines are
 * `[marker] hostnames keytype base64-key [comment]`; hostnames are
 * comma-separated patterns (`*`, `?`, `!negation`, `[host]:port`) or one
 * hashed name `|1|salt|hmac-sha1`. A marker applies to the hosts of its line.
 */
import { createHash, createHmac } from 'node:crypto';
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { readBoundedText } from '../../util/bounded-file.js';

export type HostKeyCheck =
  | { status: 'known' }
  | { status: 'unknown'; otherTypes: string[] }
  | { status: 'changed'; file: string; line: number }
  | { status: 'revoked'; file: string; line: number };

/** A line for this host that arx does not act on (a marker it does not support), for a warning. */
export interface IgnoredLine {
  file: string;
  line: number;
  marker: string;
}

export type HostKeyResult = HostKeyCheck & { ignored: IgnoredLine[] };

/** One entry of a known_hosts file (blank lines and comments left out). */
export interface KnownHostsEntry {
  file: string;
  /** 1-based. */
  line: number;
  /** `@revoked`, `@cert-authority`, or another word starting with `@`. */
  marker?: string;
  hosts: string;
  type: string;
  key: string;
}

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

/** The most a known_hosts file may hold. */
const KNOWN_HOSTS_LIMIT = 16 * 1024 * 1024;

/** A known_hosts file's text (a regular file of bounded size, see bounded-file.ts); a missing file is empty. */
function readText(file: string): string {
  return readBoundedText(file, { label: `known_hosts file ${file}`, limit: KNOWN_HOSTS_LIMIT, code: 'KNOWN_HOSTS' }) ?? '';
}

/** The entries of one known_hosts file's text; lines too short to hold a key are skipped (as ssh does). */
export function parseKnownHosts(text: string, file: string): KnownHostsEntry[] {
  const out: KnownHostsEntry[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const fields = lines[i]!.trim().split(/\s+/);
    if (fields[0] === undefined || fields[0] === '' || fields[0].startsWith('#')) continue;
    const marker = fields[0].startsWith('@') ? fields.shift() : undefined;
    const [hosts, type, key] = fields;
    if (!hosts || !type || !key) continue;
    out.push({ file, line: i + 1, ...(marker ? { marker } : {}), hosts, type, key });
  }
  return out;
}

/** Does this entry's hostnames field name the host (`host`, or `[host]:port`)? */
export function entryMatches(entry: KnownHostsEntry, host: string, port: number): boolean {
  // ssh compares (and hashes) host names in lower case.
  return matchesHost(entry.hosts, hostName(host.toLowerCase(), port));
}

/**
 * Check a server's key as OpenSSH does, over the entries of all files that
 * name this host: a key listed `@revoked` is refused even where another line
 * trusts it; otherwise a listed key is known, another key of the same type
 * is a changed key, and no key of that type is unknown. `@cert-authority`
 * (host certificates) and unknown markers are not acted on: they come back
 * in `ignored`.
 */
export function checkEntries(entries: KnownHostsEntry[], host: string, port: number, blob: Buffer): HostKeyResult {
  const type = keyType(blob);
  const key = blob.toString('base64');
  const otherTypes: string[] = [];
  const ignored: IgnoredLine[] = [];
  let known = false;
  let changed: { file: string; line: number } | undefined;
  let revoked: { file: string; line: number } | undefined;
  for (const e of entries) {
    if (!entryMatches(e, host, port)) continue;
    if (e.marker === '@revoked') {
      if (e.key === key) revoked ??= { file: e.file, line: e.line };
    } else if (e.marker !== undefined) {
      ignored.push({ file: e.file, line: e.line, marker: e.marker });
    } else if (e.type !== type) {
      otherTypes.push(e.type);
    } else if (e.key === key) {
      known = true;
    } else {
      changed ??= { file: e.file, line: e.line };
    }
  }
  if (revoked) return { status: 'revoked', ...revoked, ignored };
  if (known) return { status: 'known', ignored };
  if (changed) return { status: 'changed', ...changed, ignored };
  return { status: 'unknown', otherTypes, ignored };
}

export function checkHostKey(files: string[], host: string, port: number, blob: Buffer): HostKeyResult {
  const entries = files.flatMap((file) => parseKnownHosts(readText(file), file));
  return checkEntries(entries, host, port, blob);
}

/** The warning for a line that was not acted on. */
export function ignoredLineWarning(l: IgnoredLine): string {
  const what = l.marker === '@cert-authority' ? '@cert-authority lines (host certificates) are not supported by arx' : `the marker ${l.marker} is not known`;
  return `${l.file} line ${l.line} was ignored: ${what}`;
}

/** Why a revoked key is refused; the same words for a sync and for `arx remote trust`. */
export function revokedMessage(host: string, port: number, fp: string, at: { file: string; line: number }): string {
  return `the host key of ${hostName(host, port)} (${fp}) is marked as revoked in ${at.file} line ${at.line}; the connection was refused`;
}

/** Record a trusted host key (creating the file, private, if needed). */
export function addHostKey(file: string, host: string, port: number, blob: Buffer): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const existing = readText(file);
  const needsNewline = existing !== '' && !existing.endsWith('\n');
  appendFileSync(file, `${needsNewline ? '\n' : ''}${hostName(host, port)} ${keyType(blob)} ${blob.toString('base64')}\n`, { mode: 0o600 });
}
