/** `arx config show [--json]` */
import type { Command } from 'commander';
import { loadConfig, remoteFolder } from '../../config/load.js';
import { flattenConfig, maskedConfig, shownIgnored } from '../../config/show.js';
import { table } from '../../report/format.js';
import { EXIT } from '../exit-codes.js';
import { globals, handler } from '../handler.js';
import { printJson, say, warn } from '../output.js';

export function registerConfig(program: Command): void {
  const config = program.command('config').description('inspect the configuration');
  config
    .command('show')
    .description('print the effective configuration and the layer each value came from (secrets as ***)')
    .option('--json', 'print JSON')
    .action(
      handler<{ json?: boolean }>(async (opts, cmd) => {
        const g = globals(cmd);
        const cfg = loadConfig({ projectDir: g.project });
        const values = flattenConfig(cfg);
        const folder = cfg.remote.type === 'local' ? remoteFolder(cfg) : undefined;
        if (opts.json) {
          printJson({
            project_root: cfg.projectRoot,
            project_file: cfg.projectFile,
            global_file: cfg.globalFile,
            remote_folder: folder,
            config: maskedConfig(cfg),
            sources: Object.fromEntries(values.map((v) => [v.key, v.source])),
            ignored: shownIgnored(cfg),
            warnings: cfg.warnings,
          });
          return EXIT.OK;
        }
        say(`project: ${cfg.projectRoot}`);
        say(`global:  ${cfg.globalFile}`);
        if (folder) say(`remote folder: ${folder}`);
        say('');
        say(table([['KEY', 'VALUE', 'SOURCE'], ...values.map((v) => [v.key, JSON.stringify(v.value), v.source])]));
        const ignored = shownIgnored(cfg);
        if (ignored.length > 0) {
          say('');
          say(`ignored (not applied):`);
          say(table([['KEY', 'VALUE', 'SOURCE', 'WHY'], ...ignored.map((i) => [i.key, JSON.stringify(i.value), i.source, i.reason])]));
        }
        for (const w of cfg.warnings) warn(w, g);
        return EXIT.OK;
      }),
    );
}
