/**
 * Parts of the program a run used that a code cache written without them
 * lacks (see src/cli/launch.ts, which reads this set at exit and writes the
 * cache again when it did not cover them).
 */
export type CodePath = 'ssh';

export function noteCodePath(path: CodePath): void {
  (globalThis as { __arxCodePaths?: Set<string> }).__arxCodePaths?.add(path);
}
