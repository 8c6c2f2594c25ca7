/** Read a JSON file, turning syntax errors into messages with line and column. */
import { parse as parseJsonc, printParseErrorCode, type ParseError } from 'jsonc-parser';
import { ConfigError } from '../errors.js';
import { readBoundedText, type BoundedReadOptions } from '../util/bounded-file.js';

/** 1-based line and column of a character offset. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, Math.max(0, Math.min(offset, text.length)));
  const lines = before.split('\n');
  return { line: lines.length, column: lines[lines.length - 1]!.length + 1 };
}

const PROBLEMS: Record<string, string> = {
  InvalidSymbol: 'unexpected character',
  InvalidNumberFormat: 'malformed number',
  PropertyNameExpected: 'a property name in double quotes was expected',
  ValueExpected: 'a value was expected',
  ColonExpected: 'a colon was expected',
  CommaExpected: 'a comma was expected',
  CloseBraceExpected: 'a closing } was expected',
  CloseBracketExpected: 'a closing ] was expected',
  EndOfFileExpected: 'the end of the file was expected',
  InvalidCommentToken: 'comments are not allowed in JSON',
  UnexpectedEndOfComment: 'comments are not allowed in JSON',
  UnexpectedEndOfString: 'a string is not closed',
  UnexpectedEndOfNumber: 'malformed number',
  InvalidUnicode: 'invalid unicode escape',
  InvalidEscapeCharacter: 'invalid escape character',
  InvalidCharacter: 'invalid character in a string',
};

/**
 * Parse JSON text; `label` names the file in the error. The error gives line
 * and column and never quotes the file (it may hold a secret).
 */
export function parseJsonText(text: string, label: string): unknown {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  try {
    return JSON.parse(body);
  } catch {
    const errors: ParseError[] = [];
    parseJsonc(body, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
    const first = errors[0];
    const offset = first?.offset ?? body.length;
    const { line, column } = lineColumn(body, offset);
    const code = first ? printParseErrorCode(first.error) : 'ValueExpected';
    throw new ConfigError(`${label}: invalid JSON at line ${line}, column ${column}: ${PROBLEMS[code] ?? code}`, 'CONFIG_JSON_SYNTAX');
  }
}

/** Read and parse a JSON file (a regular file of bounded size, see bounded-file.ts); undefined when it does not exist. */
export function readJsonFile(path: string, label = path, limit?: BoundedReadOptions['limit']): unknown | undefined {
  const text = readBoundedText(path, { label, limit });
  return text === undefined ? undefined : parseJsonText(text, label);
}
