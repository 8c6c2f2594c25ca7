/**
 * Would this text be accepted as the project's arxfile.json? The checks of
 * loading it (JSON syntax, the project schema, no secrets, a clean
 * `sync.remote_path`) plus usable patterns, without reading any file: for a
 * version that has not landed yet (one arriving from the remote, or a merge).
 */
import { ArxError } from '../errors.js';
import { patternListProblem } from '../scan/patterns.js';
import { parseJsonText } from './json-file.js';
import { remoteSubpath } from './load.js';
import { projectConfigSchema } from './schema.js';
import { validateLayer } from './validate.js';

/** What is wrong with it (one line starting with `label`), or undefined when it would load. */
export function projectFileProblem(text: string, label: string): string | undefined {
  try {
    const raw = parseJsonText(text, label);
    const remote = (raw as { remote?: unknown } | null)?.remote;
    for (const key of ['password', 'key_passphrase']) {
      if (remote !== null && typeof remote === 'object' && key in remote) return `${label}: remote.${key}: secrets are not read from JSON files`;
    }
    const { value } = validateLayer(projectConfigSchema, raw, label);
    if (value.sync?.remote_path !== undefined) remoteSubpath(value.sync.remote_path, label);
    const lists: [string, string[] | undefined][] = [
      ['sync.include_patterns', value.sync?.include_patterns],
      ['sync.exclude_patterns', value.sync?.exclude_patterns],
      ['sync.conflict_rules', value.sync?.conflict_rules?.map((r) => r.pattern)],
    ];
    for (const [key, list] of lists) {
      const problem = list === undefined ? undefined : patternListProblem(key, list);
      if (problem !== undefined) return `${label}: ${problem}`;
    }
    return undefined;
  } catch (err) {
    if (err instanceof ArxError) return err.message;
    throw err;
  }
}
