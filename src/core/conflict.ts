/**
 * Which policy settles a conflict, and for "latest" which side wins. Pure:
 * the caller passes the time and pattern matchers.
 *
 * Order: the first `sync.conflict_rules` entry whose pattern matches, then
 * (only with conflict_resolution "auto") the built-in kind of the file:
 * symbols -> latest, configuration -> merge, models -> local, else manual.
 */
import type { Entry, Side } from './entry.js';

export type Policy = 'latest' | 'merge' | 'local' | 'remote' | 'keep-both' | 'manual';
export const POLICIES: readonly Policy[] = ['latest', 'merge', 'local', 'remote', 'keep-both', 'manual'];

/** What an Arxos project file is, for the built-in policies. */
export type FileKind = 'symbol' | 'config' | 'model' | 'other';

export interface ConflictRule {
  matches(path: string): boolean;
  policy: Policy;
}

export interface PolicySettings {
  mode: 'manual' | 'auto';
  rules: readonly ConflictRule[];
}

export function fileKind(path: string): FileKind {
  if (path.startsWith('symbols/')) return 'symbol';
  if (path === 'arxfile.json' || path === '.arxignore' || (path.startsWith('rules/') && path.endsWith('.json'))) return 'config';
  if (path.startsWith('models/')) return 'model';
  return 'other';
}

const BUILT_IN: Record<FileKind, Policy> = { symbol: 'latest', config: 'merge', model: 'local', other: 'manual' };

export function choosePolicy(path: string, settings: PolicySettings): { policy: Policy; source: 'rule' | 'kind' | 'mode' } {
  const rule = settings.rules.find((r) => r.matches(path));
  if (rule) return { policy: rule.policy, source: 'rule' };
  if (settings.mode === 'manual') return { policy: 'manual', source: 'mode' };
  return { policy: BUILT_IN[fileKind(path)], source: 'kind' };
}

/** How far in the future a modification time may be before the clock is judged wrong. */
export const FUTURE_TOLERANCE_MS = 5 * 60 * 1000;

/**
 * "latest": the side with the newer modification time. Never guesses: equal
 * times (at the remote's precision), a folder on either side, or a time
 * plainly in the future give a reason to leave the conflict to the user.
 */
export function latestSide(local: Entry | undefined, remote: Entry | undefined, nowMs: number, precisionMs: number): { winner: Side } | { undecided: string } {
  if (local?.kind !== 'file' || remote?.kind !== 'file') return { undecided: 'only files have a modification time to compare' };
  for (const [side, e] of [['local', local], ['remote', remote]] as const) {
    if (e.mtimeMs > nowMs + FUTURE_TOLERANCE_MS) return { undecided: `the ${side} modification time is in the future (a wrong clock?)` };
  }
  const l = Math.floor(local.mtimeMs / precisionMs);
  const r = Math.floor(remote.mtimeMs / precisionMs);
  if (l === r) return { undecided: 'both versions have the same modification time' };
  return { winner: l > r ? 'local' : 'remote' };
}
