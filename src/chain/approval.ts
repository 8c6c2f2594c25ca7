/**
 * Which command chains the local user approved. A chain runs only when the
 * sha256 of its canonical form (each command's name, command, required and
 * timeout, in order) equals the one approved for this project folder and
 * project_id; any edit, arrived by sync or made here, needs a new approval.
 */
import { createHash } from 'node:crypto';
import type { CommandSpec } from '../config/schema.js';
import { planChain, type ChainPhase, type PlannedCommand } from './run-chain.js';

export const PHASES: readonly ChainPhase[] = ['pre_sync', 'post_sync'];

/** What is recorded of an approved chain. */
export interface ApprovedChain {
  sha256: string;
  commands: PlannedCommand[];
}

/**
 * - `approved`: runs;
 * - `empty`: has no commands (nothing to run, nothing to approve);
 * - `new`: never approved here; `changed`: differs from what was approved.
 */
export type ApprovalState = 'approved' | 'empty' | 'new' | 'changed';

export interface ChainApproval {
  phase: ChainPhase;
  state: ApprovalState;
  commands: PlannedCommand[];
  sha256: string;
  /** What was approved before, when something was. */
  approved?: PlannedCommand[];
}

/** The canonical text of a chain: fixed key order, defaults filled in. */
function canonical(commands: readonly PlannedCommand[]): string {
  return JSON.stringify(commands.map((c) => [c.name, c.command, c.required, c.timeout_s]));
}

export function chainHash(commands: readonly PlannedCommand[]): string {
  return createHash('sha256').update(canonical(commands)).digest('hex');
}

export function approvalOf(phase: ChainPhase, specs: readonly CommandSpec[], approved: ApprovedChain | undefined): ChainApproval {
  const commands = planChain(phase, specs);
  const sha256 = chainHash(commands);
  const state: ApprovalState =
    commands.length === 0 ? 'empty'
    : approved === undefined ? 'new'
    : approved.sha256 === sha256 ? 'approved'
    : 'changed';
  return { phase, state, commands, sha256, approved: approved?.commands };
}

export function needsApproval(a: ChainApproval): boolean {
  return a.state === 'new' || a.state === 'changed';
}

/** One line per command: `+` new, `-` removed, `~` changed, ` ` as approved. */
export function describeChain(a: ChainApproval): string[] {
  const label: Record<ApprovalState, string> = {
    approved: 'approved',
    empty: 'no commands',
    new: 'NOT APPROVED (new)',
    changed: 'NOT APPROVED (changed since it was approved)',
  };
  const lines = [`${a.phase}: ${label[a.state]}`];
  const before = new Map((a.approved ?? []).map((c) => [c.name, c]));
  const show = (c: PlannedCommand): string => `${c.name}: ${c.command} (${c.required ? 'required' : 'not required'}, timeout ${c.timeout_s} s)`;
  for (const c of a.commands) {
    const old = before.get(c.name);
    before.delete(c.name);
    if (a.state === 'approved' || (old !== undefined && canonical([old]) === canonical([c]))) lines.push(`    ${show(c)}`);
    else if (old === undefined || a.state === 'new') lines.push(`  + ${show(c)}`);
    else lines.push(`  ~ ${show(c)}`, `      was ${show(old)}`);
  }
  if (a.state === 'changed') for (const old of before.values()) lines.push(`  - ${show(old)}`);
  return lines;
}

/** A short account of what needs approval, for errors and warnings. */
export function summarizeUnapproved(approvals: readonly ChainApproval[]): string {
  return approvals
    .filter(needsApproval)
    .map((a) => `the ${a.phase} chain is ${a.state === 'new' ? 'new' : 'changed'} (${a.commands.map((c) => c.name).join(', ')})`)
    .join('; ');
}
