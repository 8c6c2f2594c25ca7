/**
 * Remove temporary files left by interrupted writes. The project side is
 * ours alone (we hold its lock). On the remote, our own leftovers go at once;
 * another writer's only once they are old enough that no live write owns them.
 */
import { parseTempName } from '../remote/types.js';
import type { Session } from './session.js';

/** A temporary file untouched this long belongs to no live write. */
export const ABANDONED_TEMP_MS = 60 * 60 * 1000;

export async function cleanTemporaries(session: Session, local: string[], remote: string[], now: number): Promise<void> {
  for (const path of local) await session.local.remove(path).catch(() => undefined);
  for (const path of remote) {
    const t = parseTempName(path);
    if (t === undefined) continue; // not a name arx makes: leave it alone
    if (t.writer === session.writer || now - t.createdAt > ABANDONED_TEMP_MS) await session.remote.remove(path).catch(() => undefined);
  }
}
