/**
 * `arx generate-reports`: reports/summary.md and reports/summary.json. The
 * reports depend only on the project (no clock), and a file is rewritten
 * only when its content changes, so re-running without changes is a no-op.
 */
import { existsSync, readdirSync, statSync, type Dirent } from 'node:fs';
import { join } from 'node:path';
import { errnoCode, fsErrorToArx } from '../errors.js';
import { formatBytes, formatDuration } from '../report/format.js';
import { isTempName } from '../remote/types.js';
import { STATE_DIR } from '../scan/filter.js';
import { STATE_DB, StateStore } from '../state/store.js';
import { writeIfChanged } from './symbols/atomic-write.js';
import { checkSymbols } from './symbols/check.js';
import { builtinValidator } from './symbols/validator.js';

export const REPORT_MD = 'reports/summary.md';
export const REPORT_JSON = 'reports/summary.json';
export const HISTORY_LIMIT = 10;

const FOLDERS = ['symbols', 'rules', 'models', 'reports'] as const;
type Area = (typeof FOLDERS)[number] | 'other';

export interface ProjectInfo {
  project_id: string;
  name?: string;
  description?: string;
  version?: string;
  permissions?: { owner?: string; editors?: string[]; viewers?: string[] };
}

export interface SyncSummary {
  sync_id: string;
  status: string;
  start_time: string;
  duration_ms: number | null;
  files_uploaded: number | null;
  files_downloaded: number | null;
  files_deleted: number | null;
  conflicts_pending: number | null;
}

export interface ProjectReport {
  project: {
    id: string;
    name: string | null;
    description: string | null;
    version: string | null;
    owner: string | null;
    editors: string[];
    viewers: string[];
  };
  files: Record<Area | 'total', { files: number; bytes: number }>;
  symbols: { total_files: number; valid_files: number; invalid_files: number; by_system: Record<string, { valid: number; invalid: number }> };
  syncs: SyncSummary[];
}

/** Files and bytes per top-level area; arx's state, .env files, temporaries and these reports are left out. */
export function countFiles(root: string): ProjectReport['files'] {
  const counts = Object.fromEntries([...FOLDERS, 'other', 'total'].map((k) => [k, { files: 0, bytes: 0 }])) as ProjectReport['files'];
  const skip = new Set([REPORT_MD, REPORT_JSON]);
  const queue = [''];
  while (queue.length > 0) {
    const rel = queue.pop()!;
    let dirents: Dirent[];
    try {
      dirents = readdirSync(rel === '' ? root : join(root, rel), { withFileTypes: true });
    } catch (err) {
      throw fsErrorToArx(err, rel === '' ? root : `${rel}/`, 'local');
    }
    for (const d of dirents) {
      if (isTempName(d.name)) continue;
      if (rel === '' && (d.name === STATE_DIR || d.name === '.env' || d.name.startsWith('.env.'))) continue;
      const path = rel === '' ? d.name : `${rel}/${d.name}`;
      if (d.isDirectory()) queue.push(path);
      else if (d.isFile() && !skip.has(path)) {
        let size: number;
        try {
          size = statSync(join(root, path)).size;
        } catch (err) {
          if (errnoCode(err) === 'ENOENT') continue; // removed meanwhile
          throw fsErrorToArx(err, path, 'local');
        }
        const top = path.slice(0, path.indexOf('/'));
        const area: Area = (FOLDERS as readonly string[]).includes(top) ? (top as Area) : 'other';
        counts[area].files++;
        counts[area].bytes += size;
        counts.total.files++;
        counts.total.bytes += size;
      }
    }
  }
  return counts;
}

/** Symbols per system (the file's `system`, else its folder under symbols/), valid and invalid against the built-in schema. */
export function symbolStats(root: string): ProjectReport['symbols'] {
  const check = checkSymbols(root, builtinValidator());
  const bySystem = new Map<string, { valid: number; invalid: number }>();
  let invalid = 0;
  for (const f of check.files) {
    const parts = f.file.split('/');
    const system = f.system ?? (parts.length > 2 ? parts[1]! : '(none)');
    let entry = bySystem.get(system);
    if (!entry) bySystem.set(system, (entry = { valid: 0, invalid: 0 }));
    if (f.problems.length > 0) {
      entry.invalid++;
      invalid++;
    } else entry.valid++;
  }
  const systems = [...bySystem.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return {
    total_files: check.files.length,
    valid_files: check.files.length - invalid,
    invalid_files: invalid,
    by_system: Object.fromEntries(systems.map((s) => [s, bySystem.get(s)!])),
  };
}

const num = (v: unknown): number | null => (typeof v === 'number' ? v : null);

/** The last syncs, newest first; none when the project has no state yet (the store is not created to find out). */
export function recentSyncs(root: string, limit = HISTORY_LIMIT): SyncSummary[] {
  const stateDir = join(root, STATE_DIR);
  if (!existsSync(join(stateDir, STATE_DB))) return [];
  const store = StateStore.openReadOnly(stateDir);
  try {
    return store.listSyncs(limit).map((row) => {
      let s: Record<string, unknown> = {};
      try {
        s = JSON.parse(row.status_json) as Record<string, unknown>;
      } catch {
        // a damaged row still shows its id, state and start
      }
      return {
        sync_id: row.sync_id,
        status: row.status,
        start_time: row.start_time,
        duration_ms: num(s.duration_ms),
        files_uploaded: num(s.files_uploaded),
        files_downloaded: num(s.files_downloaded),
        files_deleted: num(s.files_deleted),
        conflicts_pending: num(s.conflicts_pending),
      };
    });
  } finally {
    store.close();
  }
}

export function buildReport(root: string, info: ProjectInfo): ProjectReport {
  return {
    project: {
      id: info.project_id,
      name: info.name ?? null,
      description: info.description ?? null,
      version: info.version ?? null,
      owner: info.permissions?.owner ?? null,
      editors: info.permissions?.editors ?? [],
      viewers: info.permissions?.viewers ?? [],
    },
    files: countFiles(root),
    symbols: symbolStats(root),
    syncs: recentSyncs(root),
  };
}

/** A Markdown table cell: no pipes or line breaks from the data. */
function cell(v: string | number | null): string {
  if (v === null || v === '') return '—';
  return String(v).replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\s*[\r\n]+\s*/g, ' ');
}

function mdTable(header: string[], align: string[], rows: (string | number | null)[][]): string[] {
  return [`| ${header.join(' | ')} |`, `|${align.join('|')}|`, ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`)];
}

export function renderMarkdown(r: ProjectReport): string {
  const p = r.project;
  const lines: string[] = [`# Project report: ${cell(p.name ?? p.id)}`, ''];
  lines.push(
    ...mdTable(['Field', 'Value'], ['---', '---'], [
      ['Project id', p.id],
      ['Name', p.name],
      ['Description', p.description],
      ['Version', p.version],
      ['Owner', p.owner],
      ['Editors', p.editors.join(', ')],
      ['Viewers', p.viewers.join(', ')],
    ]),
    '',
    '## Files',
    '',
    ...mdTable(['Folder', 'Files', 'Size'], ['---', '---:', '---:'], [
      ...[...FOLDERS, 'other' as const].map((k) => [k, r.files[k].files, formatBytes(r.files[k].bytes)]),
      ['**total**', r.files.total.files, formatBytes(r.files.total.bytes)],
    ]),
    '',
    '## Symbols',
    '',
  );
  const s = r.symbols;
  if (s.total_files === 0) lines.push('No symbol files.');
  else {
    lines.push(`${s.total_files} symbol files: ${s.valid_files} valid, ${s.invalid_files} invalid.`, '');
    lines.push(...mdTable(['System', 'Valid', 'Invalid'], ['---', '---:', '---:'], Object.entries(s.by_system).map(([k, v]) => [k, v.valid, v.invalid])));
    if (s.invalid_files > 0) lines.push('', '`arx validate-symbols` lists the problems of the invalid files.');
  }
  lines.push('', `## Recent syncs`, '');
  if (r.syncs.length === 0) lines.push('No syncs yet.');
  else {
    lines.push(
      ...mdTable(
        ['Sync', 'Status', 'Started', 'Duration', 'Uploaded', 'Downloaded', 'Deleted', 'Conflicts pending'],
        ['---', '---', '---', '---:', '---:', '---:', '---:', '---:'],
        r.syncs.map((x) => [x.sync_id, x.status, x.start_time, x.duration_ms === null ? null : formatDuration(x.duration_ms), x.files_uploaded, x.files_downloaded, x.files_deleted, x.conflicts_pending]),
      ),
    );
  }
  lines.push('');
  return lines.join('\n');
}

/** Write both reports where they changed; returns the project-relative paths written. */
export function writeReports(root: string, report: ProjectReport): string[] {
  const outputs = [
    { file: REPORT_MD, content: renderMarkdown(report) },
    { file: REPORT_JSON, content: JSON.stringify(report, null, 2) + '\n' },
  ];
  return outputs.filter((o) => writeIfChanged(join(root, o.file), o.content, o.file)).map((o) => o.file);
}
