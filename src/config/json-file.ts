/** Read a JSON file, turning syntax errors into messages with line and column. */
import { readFileSync } from 'node:fs';
import { ConfigError, errnoCode } from '../errors.js';

/** 1-based line and column of a character offset. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, Math.max(0, Math.min(offset, text.length)));
  const lines = before.split('\n');
  return { line: lines.length, column: lines[lines.length - 1]!.length + 1 };
}

/** Parse JSON text; `label` names the file in the error. */
export function parseJsonText(text: string, label: string): unknown {
  try {
    return JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    const pos = /at position (\d+)/.exec(msg);
    const offset = pos ? Number(pos[1]) : text.length;
    const { line, column } = lineColumn(text, offset);
    const reason = msg.replace(/\s*in JSON at position \d+.*$/, '').replace(/^JSON\.parse: /, '');
    throw new ConfigError(
      `${label}: invalid JSON at line ${line}, column ${column}: ${reason}`,
      'CONFIG_JSON_SYNTAX',
    );
  }
}

/** Read and parse a JSON file; undefined when it does not exist. */
export function readJsonFile(path: string, label = path): unknown | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return undefined;
    if (errnoCode(err) === 'EISDIR') throw new ConfigError(`${label}: is a folder, expected a JSON file`, 'CONFIG_UNREADABLE');
    throw new ConfigError(`${label}: cannot be read (${errnoCode(err) ?? String(err)})`, 'CONFIG_UNREADABLE');
  }
  return parseJsonText(text, label);
}
