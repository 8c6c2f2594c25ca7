/** Validate every symbol file of a project. Files are read synchronously: thousands of small files go fastest that way. */
import { readFileSync } from 'node:fs';
import { errnoCode } from '../../errors.js';
import { listSymbolFiles } from './files.js';
import { parseJson } from './json-text.js';
import type { Problem } from './messages.js';
import type { SymbolValidator } from './validator.js';

export interface SymbolFileResult {
  /** Project-relative, forward slashes. */
  file: string;
  problems: Problem[];
  /** The symbol's `id` and `system`, when the file has them as strings (valid or not). */
  id?: string;
  system?: string;
}

export interface SymbolCheck {
  /** False when the project has no symbols folder. */
  folderExists: boolean;
  files: SymbolFileResult[];
}

/** The report shape of `validate-symbols --json` and `--report`. */
export interface SymbolReport {
  total_files: number;
  valid_files: number;
  invalid_files: { file: string; errors: Problem[] }[];
}

function stringField(doc: unknown, key: string): string | undefined {
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) return undefined;
  const v = (doc as Record<string, unknown>)[key];
  return typeof v === 'string' ? v : undefined;
}

export function checkSymbolFile(root: string, file: string, validator: SymbolValidator): SymbolFileResult {
  let text: string;
  try {
    text = readFileSync(`${root}/${file}`, 'utf8');
  } catch (err) {
    return { file, problems: [{ path: '/', message: `cannot be read (${errnoCode(err) ?? String(err)})` }] };
  }
  const parsed = parseJson(text);
  if (!parsed.ok) return { file, problems: [{ path: '/', message: parsed.message }] };
  return {
    file,
    problems: validator.validate(parsed.value),
    id: stringField(parsed.value, 'id'),
    system: stringField(parsed.value, 'system'),
  };
}

export function checkSymbols(root: string, validator: SymbolValidator): SymbolCheck {
  const list = listSymbolFiles(root);
  return { folderExists: list.exists, files: list.files.map((f) => checkSymbolFile(root, f, validator)) };
}

export function symbolReport(check: SymbolCheck): SymbolReport {
  const invalid = check.files.filter((f) => f.problems.length > 0);
  return {
    total_files: check.files.length,
    valid_files: check.files.length - invalid.length,
    invalid_files: invalid.map((f) => ({ file: f.file, errors: f.problems })),
  };
}
