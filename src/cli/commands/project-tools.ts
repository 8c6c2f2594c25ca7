/**
 * Project tools that need no remote: `arx validate-symbols`, `arx update-index`,
 * `arx test` and `arx generate-reports`. Exit 1 means a check failed
 * (validate-symbols, test); 2 is a usage or configuration error.
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { readJsonFile } from '../../config/json-file.js';
import { findProjectRoot, PROJECT_FILE } from '../../config/load.js';
import { projectConfigSchema } from '../../config/schema.js';
import { validateLayer } from '../../config/validate.js';
import { ConfigError } from '../../errors.js';
import { runChecks, type CheckResults } from '../../project/checks.js';
import { buildReport, writeReports, type ProjectInfo } from '../../project/reports.js';
import { writeAtomic } from '../../project/symbols/atomic-write.js';
import { checkSymbols, symbolReport } from '../../project/symbols/check.js';
import { buildIndex, writeIndex } from '../../project/symbols/index-files.js';
import type { Problem } from '../../project/symbols/messages.js';
import { builtinValidator, validatorFromFile } from '../../project/symbols/validator.js';
import { EXIT } from '../exit-codes.js';
import { globals, handler } from '../handler.js';
import { printJson, say, warn, type GlobalOptions } from '../output.js';

/** validate-symbols and test: some file failed its check. */
export const CHECKS_FAILED = 1;

/**
 * The project's root and its arxfile.json, validated as `arx sync` would
 * (a broken file is the usual configuration error) but without the remote
 * settings: these commands never reach a remote.
 */
function openProject(g: GlobalOptions): { root: string; info: ProjectInfo } {
  const root = findProjectRoot({ projectDir: g.project });
  const file = resolve(root, PROJECT_FILE);
  const raw = readJsonFile(file);
  if (raw === undefined) throw new ConfigError(`${file}: disappeared while arx was reading it`, 'NO_PROJECT');
  return { root, info: validateLayer(projectConfigSchema, raw, file).value };
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** One line per problem; written at once (thousands of lines are common). */
function printProblems(files: { file: string; errors: Problem[] }[]): void {
  const lines = files.flatMap((f) => f.errors.map((e) => `${f.file}: ${e.path}: ${e.message}`));
  if (lines.length > 0) say(lines.join('\n'));
}

function registerValidateSymbols(program: Command): void {
  program
    .command('validate-symbols')
    .description('check every symbols/**/*.json against the Arxos symbol schema (exit 1 when any is invalid)')
    .option('--schema <file>', 'use this JSON Schema (draft-07) instead of the built-in one')
    .option('--report <file>', 'also write the result as JSON to this file')
    .option('--json', 'print the result as JSON')
    .action(
      handler<{ schema?: string; report?: string; json?: boolean }>(async (opts, cmd) => {
        const g = globals(cmd);
        const { root } = openProject(g);
        const validator = opts.schema === undefined ? builtinValidator() : validatorFromFile(resolve(opts.schema), opts.schema);
        for (const w of validator.warnings) warn(w, g);
        const check = checkSymbols(root, validator);
        const report = symbolReport(check);
        if (opts.report !== undefined) writeAtomic(resolve(opts.report), JSON.stringify(report, null, 2) + '\n', opts.report);
        if (opts.json) printJson(report);
        else {
          printProblems(report.invalid_files);
          if (!g.quiet) {
            if (!check.folderExists) say('no symbols folder: nothing to validate');
            else if (report.total_files === 0) say('no symbol files under symbols/');
            else say(`${plural(report.total_files, 'symbol file')}: ${report.valid_files} valid, ${report.invalid_files.length} invalid`);
            if (opts.report !== undefined) say(`report written to ${opts.report}`);
          }
        }
        return report.invalid_files.length > 0 ? CHECKS_FAILED : EXIT.OK;
      }),
    );
}

function registerUpdateIndex(program: Command): void {
  program
    .command('update-index')
    .description('rewrite symbols/index.json and symbols/categories.json from the valid symbol files (only when they change)')
    .action(
      handler<object>(async (_opts, cmd) => {
        const g = globals(cmd);
        const { root } = openProject(g);
        const check = checkSymbols(root, builtinValidator());
        if (!check.folderExists) {
          if (!g.quiet) say('no symbols folder: no index written');
          return EXIT.OK;
        }
        const index = buildIndex(check);
        for (const d of index.duplicates) {
          warn(`symbol id "${d.id}" is used by ${plural(d.files.length, 'file')} (${d.files.join(', ')}); the index lists it once`, g);
        }
        if (index.invalid > 0) {
          const were = index.invalid === 1 ? 'was' : 'were';
          warn(`${plural(index.invalid, 'invalid symbol file')} ${were} left out of the index; arx validate-symbols lists the problems`, g);
        }
        const written = writeIndex(root, index);
        if (!g.quiet) {
          if (written.length === 0) say(`index up to date (${plural(index.ids.length, 'symbol')})`);
          for (const file of written) {
            say(file.endsWith('index.json') ? `wrote ${file} (${plural(index.ids.length, 'symbol')})` : `wrote ${file} (${plural(index.categories.size, 'system')})`);
          }
        }
        return EXIT.OK;
      }),
    );
}

function printChecks(r: CheckResults, quiet: boolean): void {
  if (!r.symbols.passed) printProblems(r.symbols.invalid_files);
  if (!r.rules.passed) printProblems(r.rules.invalid_files);
  if (quiet) return;
  const s = r.symbols;
  if (!s.folder_exists) say('symbols: no symbols folder');
  else if (s.total_files === 0) say('symbols: no symbol files');
  else say(`symbols: ${s.valid_files} valid, ${s.invalid_files.length} invalid`);
  const u = r.rules;
  if (!u.folder_exists) say('rules: no rules folder');
  else if (u.total_files === 0) say('rules: no JSON files');
  else if (u.passed) say(`rules: ${plural(u.total_files, 'file')}, all valid JSON`);
  else say(`rules: ${plural(u.total_files, 'file')}, ${u.invalid_files.length} with invalid JSON`);
  const failed = [s.passed ? undefined : 'symbols', u.passed ? undefined : 'rules'].filter(Boolean);
  say(failed.length === 0 ? 'all checks passed' : `checks failed: ${failed.join(', ')}`);
}

function registerTest(program: Command): void {
  program
    .command('test')
    .description("run the project's checks: symbols against the schema, rules/*.json as JSON (exit 1 when one fails)")
    .option('--json', 'print the results as JSON')
    .action(
      handler<{ json?: boolean }>(async (opts, cmd) => {
        const g = globals(cmd);
        const { root } = openProject(g);
        const results = runChecks(root);
        if (opts.json) printJson(results);
        else printChecks(results, g.quiet === true);
        return results.passed ? EXIT.OK : CHECKS_FAILED;
      }),
    );
}

function registerGenerateReports(program: Command): void {
  program
    .command('generate-reports')
    .description('write reports/summary.md and reports/summary.json (project, files, symbols, recent syncs)')
    .action(
      handler<object>(async (_opts, cmd) => {
        const g = globals(cmd);
        const { root, info } = openProject(g);
        const written = writeReports(root, buildReport(root, info));
        if (!g.quiet) {
          if (written.length === 0) say('reports up to date');
          for (const file of written) say(`wrote ${file}`);
        }
        return EXIT.OK;
      }),
    );
}

export function registerProjectTools(program: Command): void {
  registerValidateSymbols(program);
  registerUpdateIndex(program);
  registerTest(program);
  registerGenerateReports(program);
}
