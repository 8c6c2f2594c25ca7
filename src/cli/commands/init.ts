/** `arx init [--project-id ID] [--name NAME]` */
import type { Command } from 'commander';
import { approvalOf, PHASES } from '../../chain/approval.js';
import { TrustStore } from '../../chain/trust-store.js';
import { initProject } from '../../project/init.js';
import { EXIT } from '../exit-codes.js';
import { globals, handler } from '../handler.js';
import { say } from '../output.js';

export function registerInit(program: Command): void {
  program
    .command('init')
    .description('create an Arxos project (arxfile.json, .arxignore, symbols/, rules/, models/, reports/) in the current folder or --project DIR')
    .option('--project-id <id>', 'project id (default: from the folder name)')
    .option('--name <name>', 'project name (default: the folder name)')
    .action(
      handler<{ projectId?: string; name?: string }>(async (opts, cmd) => {
        const g = globals(cmd);
        const trust = TrustStore.open(process.env); // a damaged store stops init before anything is written
        const now = new Date();
        const res = initProject(g.project ?? process.cwd(), { projectId: opts.projectId, name: opts.name, now });
        // The chains init writes are the user's own: approved, so init -> sync needs no extra step.
        trust.approve(res.root, res.projectId, PHASES.map((p) => approvalOf(p, res.commands[p], undefined)), now);
        if (!g.quiet) {
          say(`created Arxos project "${res.projectId}" in ${res.root}`);
          for (const c of res.created) say(`  ${c}`);
          say(`approved its command chains for this folder (see \`arx trust\`)`);
          say('next: arx config show, then arx sync');
        }
        return EXIT.OK;
      }),
    );
}
