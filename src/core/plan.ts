/**
 * Order a reconciliation into phases the executor runs one after another:
 * 1. base-only updates (record, forget) and folders, shallowest first;
 * 2. file copies, in parallel;
 * 3. file deletions, in parallel;
 * 4. folder deletions, deepest first;
 * 5. copies that replace a folder (its contents were deleted in 3-4).
 * Conflicts are listed apart: nothing is done for them.
 */
import { depth } from './entry.js';
import type { Action } from './reconcile.js';

export interface Plan {
  records: Action[];
  mkdirs: Action[];
  copies: Action[];
  fileDeletes: Action[];
  dirDeletes: Action[];
  replacements: Action[];
  conflicts: Action[];
}

export function buildPlan(actions: readonly Action[]): Plan {
  const plan: Plan = { records: [], mkdirs: [], copies: [], fileDeletes: [], dirDeletes: [], replacements: [], conflicts: [] };
  for (const a of actions) {
    switch (a.type) {
      case 'record':
      case 'forget':
        plan.records.push(a);
        break;
      case 'mkdir':
        plan.mkdirs.push(a);
        break;
      case 'copy':
        (a.replaces === 'dir' ? plan.replacements : plan.copies).push(a);
        break;
      case 'delete':
        (a.kind === 'dir' ? plan.dirDeletes : plan.fileDeletes).push(a);
        break;
      case 'conflict':
        plan.conflicts.push(a);
        break;
    }
  }
  plan.mkdirs.sort((x, y) => depth(x.path) - depth(y.path));
  plan.dirDeletes.sort((x, y) => depth(y.path) - depth(x.path));
  return plan;
}

/** Every action of a plan in execution order. */
export function planActions(plan: Plan): Action[] {
  return [...plan.records, ...plan.mkdirs, ...plan.copies, ...plan.fileDeletes, ...plan.dirDeletes, ...plan.replacements, ...plan.conflicts];
}

export function countPlan(plan: Plan): { uploads: number; downloads: number; deletes: number; conflicts: number } {
  const all = [...plan.copies, ...plan.replacements];
  return {
    uploads: all.filter((a) => a.to === 'remote').length,
    downloads: all.filter((a) => a.to === 'local').length,
    deletes: plan.fileDeletes.length,
    conflicts: plan.conflicts.length,
  };
}
