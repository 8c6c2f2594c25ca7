/** The filter settings of a project: its `.arxignore` and the configured patterns, each with where it came from. */
import { join } from 'node:path';
import type { EffectiveConfig } from '../config/load.js';
import { IGNORE_FILE, readArxignore, type FilterSettings } from '../scan/filter.js';

export function filterSettingsOf(cfg: EffectiveConfig, withSizeLimit = true, arxignore = readArxignore(cfg.projectRoot)): FilterSettings {
  return {
    arxignore,
    include: cfg.sync.include_patterns,
    exclude: cfg.sync.exclude_patterns,
    ...(withSizeLimit ? { maxFileSize: cfg.sync.max_file_size } : {}),
    sources: {
      arxignore: join(cfg.projectRoot, IGNORE_FILE),
      include: cfg.sources.get('sync.include_patterns'),
      exclude: cfg.sources.get('sync.exclude_patterns'),
    },
  };
}
