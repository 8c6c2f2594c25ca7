/**
 * Symbol validators: the built-in schema, or a draft-07 JSON Schema from a
 * file (`--schema FILE`). Each is compiled once.
 */
import { createRequire } from 'node:module';
import type AjvModule from 'ajv';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { readJsonFile } from '../../config/json-file.js';
import { ConfigError } from '../../errors.js';
import { describeErrors, type Problem } from './messages.js';
import { SYMBOL_SCHEMA } from './schema.js';

type AjvClass = typeof AjvModule.default;
let ajvClass: AjvClass | undefined;
/**
 * ajv (CommonJS; its class is both the module and its `default`) is loaded on
 * first use, from node_modules: a sync, which never validates, starts faster
 * without it.
 */
function Ajv(): AjvClass {
  return (ajvClass ??= (createRequire(import.meta.url)('ajv') as { default: AjvClass }).default);
}

export interface SymbolValidator {
  /** Problems of one parsed document; empty when it is valid. */
  validate(data: unknown): Problem[];
  /** What ajv had to say about the schema itself (e.g. unknown formats it ignores). */
  warnings: string[];
}

function wrap(fn: ValidateFunction, warnings: string[]): SymbolValidator {
  return {
    warnings,
    validate(data) {
      if (fn(data)) return [];
      return describeErrors((fn.errors ?? []) as ErrorObject[], data);
    },
  };
}

let builtin: SymbolValidator | undefined;

/** The built-in Arxos symbol schema. */
export function builtinValidator(): SymbolValidator {
  if (builtin === undefined) {
    const ajv = new (Ajv())({ allErrors: true, logger: false });
    builtin = wrap(ajv.compile(SYMBOL_SCHEMA), []);
  }
  return builtin;
}

/** The most a schema file may hold. */
const SCHEMA_FILE_LIMIT = 16 * 1024 * 1024;

const DRAFT_07 = /^https?:\/\/json-schema\.org\/draft-07\/schema#?$/;

/**
 * A validator from a JSON Schema file. `label` names the file in errors
 * (as the user typed it). Missing, broken or unusable schemas are config errors.
 */
export function validatorFromFile(file: string, label: string): SymbolValidator {
  const schema = readJsonFile(file, label, SCHEMA_FILE_LIMIT);
  if (schema === undefined) throw new ConfigError(`${label}: no such file`, 'SCHEMA_MISSING');
  if (typeof schema !== 'boolean' && (schema === null || typeof schema !== 'object' || Array.isArray(schema))) {
    throw new ConfigError(`${label}: a JSON Schema must be an object`, 'SCHEMA_INVALID');
  }
  const declared = typeof schema === 'object' ? (schema as { $schema?: unknown }).$schema : undefined;
  if (declared !== undefined && (typeof declared !== 'string' || !DRAFT_07.test(declared))) {
    throw new ConfigError(`${label}: "$schema" is ${JSON.stringify(declared)}; only JSON Schema draft-07 is supported`, 'SCHEMA_INVALID');
  }
  const warnings: string[] = [];
  const note = (...args: unknown[]): void => {
    const w = `${label}: ${args.map(String).join(' ')}`;
    if (!warnings.includes(w)) warnings.push(w);
  };
  const ajv = new (Ajv())({ allErrors: true, strict: false, logger: { log: () => undefined, warn: note, error: note } });
  try {
    return wrap(ajv.compile(schema as object | boolean), warnings);
  } catch (err) {
    const msg = (err instanceof Error ? err.message : String(err)).replace(/\s+/g, ' ').trim();
    throw new ConfigError(`${label}: not a usable JSON Schema: ${msg}`, 'SCHEMA_INVALID');
  }
}
