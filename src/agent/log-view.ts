/**
 * `arx agent log`: the agent's JSON lines as readable text, oldest first
 * across the rotated files (agent.log.5 ... agent.log.1, agent.log), and
 * `--follow` for what comes (a rotation starts the new file from its top).
 */
import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { LOG_KEEP } from './log.js';

export interface LogLine {
  time?: string;
  level?: string;
  event?: string;
  project?: string;
  sync_id?: string;
  msg?: string;
}

/** One line for a person: time, level, project, message. A line that is not JSON is shown as it is. */
export function formatLine(raw: string): { text: string; project?: string } | undefined {
  if (raw.trim() === '') return undefined;
  let v: LogLine;
  try {
    v = JSON.parse(raw) as LogLine;
  } catch {
    return { text: raw };
  }
  const level = (v.level ?? 'info').toUpperCase().padEnd(5);
  const project = v.project ? ` [${v.project}]` : '';
  return { text: `${v.time ?? ''} ${level}${project} ${v.msg ?? v.event ?? ''}`, ...(v.project ? { project: v.project } : {}) };
}

/** The readable line, when `raw` is one and belongs to `project` (every project when undefined). */
function shownLine(raw: string, project: string | undefined): string | undefined {
  const line = formatLine(raw);
  return line && (project === undefined || line.project === project) ? line.text : undefined;
}

function readIfExists(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** Oldest first: the rotated files, then the current one. */
export function logFiles(file: string): string[] {
  const files: string[] = [];
  for (let i = LOG_KEEP; i >= 1; i--) files.push(`${file}.${i}`);
  files.push(file);
  return files;
}

export function readLog(file: string, project?: string): string[] {
  const out: string[] = [];
  for (const f of logFiles(file)) {
    for (const raw of readIfExists(f).split('\n')) {
      const text = shownLine(raw, project);
      if (text !== undefined) out.push(text);
    }
  }
  return out;
}

/** Calls `onLine` for each line appended to `file` from `offset` on, until the signal aborts. */
export async function followLog(file: string, offset: number, project: string | undefined, onLine: (text: string) => void, signal: AbortSignal): Promise<void> {
  let pos = offset;
  let partial = '';
  while (!signal.aborted) {
    let size = 0;
    try {
      size = statSync(file).size;
    } catch {
      size = 0;
    }
    if (size < pos) {
      // Rotated: the new file starts empty.
      pos = 0;
      partial = '';
    }
    if (size > pos) {
      const fd = openSync(file, 'r');
      try {
        const buf = Buffer.alloc(size - pos);
        readSync(fd, buf, 0, buf.length, pos);
        pos = size;
        const lines = (partial + buf.toString('utf8')).split('\n');
        partial = lines.pop() ?? '';
        for (const raw of lines) {
          const text = shownLine(raw, project);
          if (text !== undefined) onLine(text);
        }
      } finally {
        closeSync(fd);
      }
    }
    await new Promise((r) => setTimeout(r, 300));
  }
}

export function logSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}
