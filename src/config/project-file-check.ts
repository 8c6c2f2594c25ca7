/**
 * Would this text be accepted as the project's arxfile.json? The checks of
 * loading it (JSON syntax, the project schema, a clean `sync.remote_path`)
 * plus usable patterns, without reading any file: for a
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
    // Local-only keys (the remote block, secrets in it) load as ignored, with a warning: not a problem here.
    const { value } = validateLayer(projectConfigSchema, parseJsonText(text, label), label);
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
