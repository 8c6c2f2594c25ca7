/**
 * The API token: ARX_AGENT_TOKEN, else a random one generated once into the
 * agent's state folder (mode 0600). Compared in constant time; never logged
 * (it is noted as a secret, so every message masks it).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { ConfigError, errnoCode, fsErrorToArx } from '../errors.js';
import { noteSecret } from '../util/redact.js';

export const MIN_TOKEN_LENGTH = 16;

export interface AgentToken {
  value: string;
  source: 'ARX_AGENT_TOKEN' | 'file';
  file?: string;
}

function check(value: string, where: string): string {
  if (value.length < MIN_TOKEN_LENGTH) throw new ConfigError(`${where}: the agent's token must be at least ${MIN_TOKEN_LENGTH} characters long`, 'AGENT_TOKEN_SHORT');
  if (!/^[\x21-\x7e]+$/.test(value)) throw new ConfigError(`${where}: the agent's token may hold only visible ASCII characters (no spaces)`, 'AGENT_TOKEN_INVALID');
  return value;
}

/** The token, created in `file` when neither the variable nor the file has one yet. */
export function agentToken(env: NodeJS.ProcessEnv, file: string): AgentToken {
  const fromEnv = env.ARX_AGENT_TOKEN;
  if (fromEnv !== undefined && fromEnv !== '') {
    noteSecret(fromEnv);
    return { value: check(fromEnv, 'ARX_AGENT_TOKEN'), source: 'ARX_AGENT_TOKEN' };
  }
  let text: string | undefined;
  try {
    text = readFileSync(file, 'utf8').trim();
    // Readable by others: tighten it (it grants shell-like access to this user's projects).
    if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
  } catch (err) {
    if (errnoCode(err) !== 'ENOENT') throw fsErrorToArx(err, file, 'local');
  }
  if (text === undefined || text === '') {
    text = randomBytes(32).toString('base64url');
    try {
      mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
      writeFileSync(file, text + '\n', { flag: 'w', mode: 0o600 });
      chmodSync(file, 0o600);
    } catch (err) {
      throw fsErrorToArx(err, file, 'local');
    }
  }
  noteSecret(text);
  return { value: check(text, file), source: 'file', file };
}

/** `Authorization: Bearer <token>` matches, in time that does not depend on where they differ. */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  const given = createHash('sha256').update(m?.[1] ?? '').digest();
  const wanted = createHash('sha256').update(token).digest();
  return timingSafeEqual(given, wanted) && m !== null;
}
