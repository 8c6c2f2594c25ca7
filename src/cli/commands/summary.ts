/** Human summaries of a sync status (sync, status). */
import { formatBytes, formatDuration, table } from '../../report/format.js';
import type { SyncStatus } from '../../report/status.js';

/** Folder changes, where there were any (the progress counts them among its changes). */
function folders(s: SyncStatus): string {
  const created = s.folders_created ?? 0;
  const deleted = s.folders_deleted ?? 0;
  if (created + deleted === 0) return '';
  return `, folders ${[created > 0 ? `${created} created` : '', deleted > 0 ? `${deleted} deleted` : ''].filter(Boolean).join(' and ')}`;
}

export function printStatusSummary(s: SyncStatus, opts: { verbose: boolean; quiet: boolean }): void {
  const out: string[] = [];
  if (s.dry_run) {
    const plan = s.plan ?? [];
    const halted = s.errors.length > 0 ? '; a real sync would stop before any of them (see the error below)' : '';
    out.push(plan.length === 0 && halted === '' ? 'dry run: nothing to do' : `dry run: ${plan.length} actions (nothing was changed)${halted}`);
    if (plan.length > 0) out.push(table(plan.map((p) => [`  ${p.action}`, p.path, `(${p.reason})`])));
  } else {
    out.push(`${s.sync_id} ${s.status} in ${formatDuration(s.duration_ms)} with ${s.remote}`);
    out.push(
      `  uploaded ${s.files_uploaded}, downloaded ${s.files_downloaded}, deleted ${s.files_deleted}${folders(s)}, conflicts ${s.conflicts_pending}, ${formatBytes(s.bytes_transferred)} transferred`,
    );
  }
  const planned = s.planned_commands ?? [];
  if (planned.length > 0) {
    out.push(`  would run ${planned.length} ${planned.length === 1 ? 'command' : 'commands'}:`);
    out.push(table(planned.map((c) => [`    ${c.phase}`, c.name, c.command, `(${c.required ? 'required' : 'not required'}, timeout ${c.timeout_s} s${c.approved ? '' : ', NOT APPROVED: would be skipped'})`])));
  }
  const ran = s.commands ?? [];
  if (ran.length > 0) {
    out.push(`  commands: ${ran.map((c) => `${c.name} ${c.success ? 'ok' : c.timed_out ? 'timed out' : `failed (${c.exit_code ?? c.signal ?? 'not started'})`}`).join(', ')}`);
  }
  const skipped = s.commands_skipped ?? [];
  if (skipped.length > 0 && !s.dry_run) out.push(`  not run (not approved, see arx trust): ${skipped.map((c) => `${c.phase} ${c.name}`).join(', ')}`);
  if (s.conflicts.length > 0) {
    out.push(`  ${s.conflicts.length} ${s.conflicts.length === 1 ? 'conflict needs' : 'conflicts need'} a decision (arx conflicts; arx resolve PATH --keep local|remote|both):`);
    for (const c of s.conflicts.slice(0, opts.verbose ? undefined : 10)) out.push(`    ${c.path}: ${c.reason}`);
    if (!opts.verbose && s.conflicts.length > 10) out.push(`    ... and ${s.conflicts.length - 10} more`);
  }
  // --quiet: nothing on stdout, whatever the outcome (errors still go to stderr).
  if (!opts.quiet) process.stdout.write(out.join('\n') + '\n');
  if (!opts.quiet) for (const w of s.warnings) process.stderr.write(`arx: warning: ${w}\n`);
  for (const e of s.errors) process.stderr.write(`arx: error: ${e.path ? `${e.path}: ` : ''}${e.message}\n`);
}
