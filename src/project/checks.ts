/**
 * `arx test`: the project's checks. Symbols must satisfy the built-in schema;
 * rules files must be valid JSON.
 */
import { readFileSync } from 'node:fs';
import { errnoCode } from '../errors.js';
import { checkSymbols, symbolReport, type SymbolReport } from './symbols/check.js';
import { listJsonFiles } from './symbols/files.js';
import { parseJson } from './symbols/json-text.js';
import type { Problem } from './symbols/messages.js';
import { builtinValidator } from './symbols/validator.js';

export interface RulesReport {
  total_files: number;
  valid_files: number;
  invalid_files: { file: string; errors: Problem[] }[];
}

export interface CheckResults {
  passed: boolean;
  symbols: SymbolReport & { passed: boolean; folder_exists: boolean };
  rules: RulesReport & { passed: boolean; folder_exists: boolean };
}

function jsonProblem(root: string, file: string): Problem | undefined {
  let text: string;
  try {
    text = readFileSync(`${root}/${file}`, 'utf8');
  } catch (err) {
    return { path: '/', message: `cannot be read (${errnoCode(err) ?? String(err)})` };
  }
  const parsed = parseJson(text);
  return parsed.ok ? undefined : { path: '/', message: parsed.message };
}

/** Every `rules/**\/*.json` must parse as JSON. */
export function checkRules(root: string): RulesReport & { folder_exists: boolean } {
  const list = listJsonFiles(root, 'rules');
  const invalid: RulesReport['invalid_files'] = [];
  for (const file of list.files) {
    const problem = jsonProblem(root, file);
    if (problem) invalid.push({ file, errors: [problem] });
  }
  return { folder_exists: list.exists, total_files: list.files.length, valid_files: list.files.length - invalid.length, invalid_files: invalid };
}

export function runChecks(root: string): CheckResults {
  const symbolCheck = checkSymbols(root, builtinValidator());
  const symbols = { ...symbolReport(symbolCheck), folder_exists: symbolCheck.folderExists };
  const rules = checkRules(root);
  const symbolsPassed = symbols.invalid_files.length === 0;
  const rulesPassed = rules.invalid_files.length === 0;
  return {
    passed: symbolsPassed && rulesPassed,
    symbols: { passed: symbolsPassed, ...symbols },
    rules: { passed: rulesPassed, ...rules },
  };
}
