/**
 * Settle conflicts by policy (`sync.conflict_resolution: "auto"` and
 * `sync.conflict_rules`): latest for symbols, a three-way merge for
 * configuration, local for models, and what the rules say. A policy that
 * cannot decide leaves the conflict open, with its reason.
 */
import ignore from 'ignore';
import type { EffectiveConfig } from '../config/load.js';
import { choosePolicy, fileKind, latestSide, type ConflictRule, type Policy, type PolicySettings } from '../core/conflict.js';
import type { Entry } from '../core/entry.js';
import { mergeJson, mergeLines, type MergeResult } from '../core/merge.js';
import type { Action, PathState } from '../core/reconcile.js';
import { ArrivalRefusedError, ArxError, ConfigError } from '../errors.js';
import { checkedFileProblem, isCheckedFile, keepRefused } from './arrivals.js';
import { patternListProblem } from '../scan/patterns.js';
import type { ConflictReport, ResolvedConflict } from '../report/status.js';
import type { BackupStore } from '../transfer/backups.js';
import type { ContentStore } from './content-store.js';
import type { Session } from './session.js';
import { settle, type Settlement } from './settle.js';

/** The conflict policies; a rule whose pattern cannot be used is a ConfigError naming it. */
export function policySettings(cfg: EffectiveConfig): PolicySettings {
  const problem = patternListProblem('sync.conflict_rules', cfg.sync.conflict_rules.map((r) => r.pattern));
  if (problem !== undefined) {
    const source = cfg.sources.get('sync.conflict_rules');
    throw new ConfigError(`${problem.replace(/^(sync\.conflict_rules\[\d+\])/, '$1.pattern')}${source ? ` (set in ${source})` : ''}`, 'CONFIG_PATTERN');
  }
  const rules: ConflictRule[] = cfg.sync.conflict_rules.map((r) => {
    const ig = ignore({ allowRelativePaths: true, ignorecase: false }).add(r.pattern);
    return { policy: r.policy, matches: (path: string) => ig.ignores(path) };
  });
  return { mode: cfg.sync.conflict_resolution, rules };
}

export interface Decision {
  policy: Policy;
  /** What to do; undefined leaves the conflict open. */
  how?: Settlement;
  reason: string;
}

/** Merge text of a configuration file; undefined when the policy does not apply to this kind of file. */
function mergeText(path: string, base: string | undefined, local: string, remote: string): MergeResult | undefined {
  if (path === '.arxignore' || path.endsWith('/.arxignore')) return mergeLines(base, local, remote);
  if (path.endsWith('.json')) return mergeJson(base, local, remote);
  return undefined;
}

/** Decide one conflict (reading contents for a merge, changing nothing). */
export async function decide(session: Session, s: PathState, settings: PolicySettings, content: ContentStore, now: number): Promise<Decision> {
  const { policy } = choosePolicy(s.path, settings);
  switch (policy) {
    case 'manual':
      return { policy, reason: 'left for you to decide (arx resolve)' };
    case 'local':
    case 'remote':
      return { policy, how: { keep: policy }, reason: `the ${policy} version wins` };
    case 'keep-both':
      return { policy, how: { keep: 'both' }, reason: 'both versions are kept' };
    case 'latest': {
      const r = latestSide(s.local, s.remote, now, session.remote.capabilities.mtimePrecisionMs);
      return 'winner' in r ? { policy, how: { keep: r.winner }, reason: `the ${r.winner} version is newer` } : { policy, reason: r.undecided };
    }
    case 'merge':
      return decideMerge(session, s, content);
  }
}

async function decideMerge(session: Session, s: PathState, content: ContentStore): Promise<Decision> {
  const policy = 'merge';
  if (s.local?.kind !== 'file' || s.remote?.kind !== 'file') return { policy, reason: 'only files can be merged' };
  if (!s.path.endsWith('.json') && !s.path.endsWith('.arxignore')) return { policy, reason: 'only JSON files and .arxignore can be merged' };
  let base: string | undefined;
  if (s.base !== undefined) {
    const kept = s.base.hash === null ? undefined : content.get(s.base.hash);
    if (kept === undefined) return { policy, reason: 'the last synced version is not available to merge against' };
    base = kept.toString('utf8');
  }
  const [local, remote] = await Promise.all([session.local.readAll(s.path), session.remote.readAll(s.path)]);
  const result = mergeText(s.path, base, local.toString('utf8'), remote.toString('utf8'))!;
  if (!result.ok) return { policy, reason: `cannot merge: ${result.reason}` };
  // The merge of a file arx reads its settings from must itself be valid, or it is not written.
  const invalid = isCheckedFile(s.path) ? checkedFileProblem(s.path, result.text, `the merged ${s.path}`) : undefined;
  if (invalid !== undefined) return { policy, reason: `cannot merge: ${invalid}` };
  return { policy, how: { merged: result.text }, reason: 'merged' };
}

export interface PolicyResults {
  resolved: ResolvedConflict[];
  open: ConflictReport[];
  /** Dry run: each conflict's decision, for the plan. */
  decisions: { path: string; action: string; reason: string }[];
}

/** Apply the policies to every conflict (with dryRun only decide). */
export async function resolveByPolicy(
  session: Session,
  conflicts: readonly Action[],
  states: ReadonlyMap<string, PathState>,
  ctx: { backups: BackupStore; content: ContentStore; now: Date; dryRun: boolean; releaseMemory?: () => void },
): Promise<PolicyResults> {
  const settings = policySettings(session.cfg);
  const out: PolicyResults = { resolved: [], open: [], decisions: [] };
  for (const a of conflicts) {
    const s = states.get(a.path)!;
    const open = (reason: string, policy: Policy): void => {
      out.open.push({ path: a.path, kind: a.conflict!, reason: `${a.reason}; ${reason}`, policy });
    };
    let d: Decision;
    try {
      d = await decide(session, s, settings, ctx.content, ctx.now.getTime());
    } catch (err) {
      open(`could not decide: ${err instanceof Error ? err.message : String(err)}`, 'manual');
      continue;
    }
    out.decisions.push({ path: a.path, action: d.how ? `resolve-${d.policy}` : 'conflict', reason: `${a.reason}; ${d.policy}: ${d.reason}` });
    if (!d.how) {
      open(d.reason, d.policy);
      continue;
    }
    if (ctx.dryRun) continue;
    const before = ctx.backups.kept.length;
    try {
      const settled = await settle({ session, backups: ctx.backups, content: ctx.content, now: ctx.now, releaseMemory: ctx.releaseMemory }, a.path, { local: s.local as Entry | undefined, remote: s.remote as Entry | undefined }, d.how);
      out.resolved.push({
        path: a.path,
        kind: fileKind(a.path),
        policy: d.policy,
        outcome: settled.outcome,
        reason: d.reason,
        ...(settled.conflictCopy ? { conflict_copy: settled.conflictCopy } : {}),
        backups: ctx.backups.kept.slice(before).map((k) => ({ side: k.side, location: `.arx/backups/${ctx.backups.setId}/${k.stored}` })),
      });
    } catch (err) {
      if (err instanceof ArrivalRefusedError) await keepRefused(ctx.backups, session.remote, err).catch(() => undefined);
      open(err instanceof ArxError ? err.message : String(err), d.policy);
    }
  }
  return out;
}

/** Paths whose synced content must be kept for a later merge. */
export function isMergeable(path: string, settings: PolicySettings): boolean {
  return choosePolicy(path, settings).policy === 'merge';
}
