/**
 * `arx agent add DIR` / `remove DIR`: the `agent.projects` list of this
 * machine's configuration file, edited in place (comments and layout kept)
 * and written atomically. A running agent reads the file again by itself.
 */
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { applyEdits, modify } from 'jsonc-parser';
import { expandHome, PROJECT_FILE } from '../config/load.js';
import { UsageError } from '../errors.js';
import { readBoundedFile } from '../util/bounded-file.js';
import { writeAtomic } from '../project/symbols/atomic-write.js';
import { loadAgentSettings } from './settings.js';

/** The file's text for editing (loadAgentSettings has checked it: a bounded regular file of valid settings). */
function readText(file: string): string {
  return readBoundedFile(file)?.toString('utf8') ?? '{}\n';
}

function checkProject(dir: string): void {
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    throw new UsageError(`${dir}: no such folder`, 'AGENT_PROJECT_MISSING');
  }
  if (!isDir) throw new UsageError(`${dir}: is not a folder; give the project's folder (the one holding ${PROJECT_FILE})`, 'AGENT_PROJECT_MISSING');
  if (!existsSync(join(dir, PROJECT_FILE))) throw new UsageError(`${dir}: has no ${PROJECT_FILE}; run \`arx init\` there first`, 'AGENT_PROJECT_MISSING');
}

function write(file: string, text: string, projects: string[]): void {
  const edits = modify(text, ['agent', 'projects'], projects, { formattingOptions: { insertSpaces: true, tabSize: 2, eol: '\n' } });
  writeAtomic(file, applyEdits(text, edits), file);
}

export interface ListChange {
  file: string;
  path: string;
  changed: boolean;
  projects: string[];
}

export function addProject(env: NodeJS.ProcessEnv, dir: string, cwd = process.cwd()): ListChange {
  const path = resolve(cwd, expandHome(dir, env));
  checkProject(path);
  const settings = loadAgentSettings(env, cwd);
  if (settings.projects.includes(path)) return { file: settings.file, path, changed: false, projects: settings.projects };
  const projects = [...settings.projects, path];
  write(settings.file, readText(settings.file), projects);
  return { file: settings.file, path, changed: true, projects };
}

export function removeProject(env: NodeJS.ProcessEnv, dir: string, cwd = process.cwd()): ListChange {
  const path = resolve(cwd, expandHome(dir, env));
  const settings = loadAgentSettings(env, cwd);
  if (!settings.projects.includes(path)) {
    const listed = settings.projects.length > 0 ? `it lists: ${settings.projects.join(', ')}` : 'it lists none';
    throw new UsageError(`${path} is not in the agent's projects (agent.projects in ${settings.file}); ${listed}`, 'AGENT_PROJECT_UNKNOWN');
  }
  const projects = settings.projects.filter((p) => p !== path);
  write(settings.file, readText(settings.file), projects);
  return { file: settings.file, path, changed: true, projects };
}
