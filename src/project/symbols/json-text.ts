/** Parse a project file's JSON text; a syntax error is a message with line and column, never a throw. */
import { parseJsonText } from '../../config/json-file.js';
import { ArxError } from '../../errors.js';

export type Parsed = { ok: true; value: unknown } | { ok: false; message: string };

const LABEL = 'file';

export function parseJson(text: string): Parsed {
  try {
    return { ok: true, value: parseJsonText(text, LABEL) };
  } catch (err) {
    if (err instanceof ArxError && err.message.startsWith(`${LABEL}: `)) {
      return { ok: false, message: err.message.slice(LABEL.length + 2) };
    }
    throw err;
  }
}
