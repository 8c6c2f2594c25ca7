/**
 * What the commands that look at or bring back what arx kept (backups,
 * restore, status, history, conflicts) get from the configuration: the
 * project root always, and the loaded configuration when it loads. A
 * configuration that does not load is a warning for them, not an error, so a
 * broken arxfile.json can be put right with `arx backups` and `arx restore`.
 */
import { ArxError } from '../errors.js';
import { findProjectRoot, loadConfig, type EffectiveConfig, type LoadOptions } from './load.js';

export interface RecoveryView {
  projectRoot: string;
  /** Undefined when the configuration does not load (see problem). */
  cfg?: EffectiveConfig;
  problem?: ArxError;
}

export function loadForRecovery(opts: LoadOptions): RecoveryView {
  // Without an arxfile.json there is no project to find: that stays an error.
  const projectRoot = findProjectRoot(opts);
  try {
    return { projectRoot, cfg: loadConfig(opts) };
  } catch (err) {
    if (err instanceof ArxError && err.category === 'config') return { projectRoot, problem: err };
    throw err;
  }
}

/** The warning the commands print when the configuration did not load. */
export function recoveryWarning(view: RecoveryView): string | undefined {
  if (view.problem === undefined) return undefined;
  return `${view.problem.message}; showing what arx kept in ${view.projectRoot}/.arx (a kept version comes back with arx backups, then arx restore SYNC_ID arxfile.json)`;
}
