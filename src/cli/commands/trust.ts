/** `arx trust [--check] [--revoke] [--json]`: review and approve the project's command chains. */
import type { Command } from 'commander';
import { describeChain, needsApproval } from '../../chain/approval.js';
import { chainApprovals, TrustStore } from '../../chain/trust-store.js';
import { loadConfig } from '../../config/load.js';
import { ArxError, UsageError } from '../../errors.js';
import { EXIT } from '../exit-codes.js';
import { globals, handler } from '../handler.js';
import { printJson, say, warn } from '../output.js';

interface TrustOpts {
  check?: boolean;
  revoke?: boolean;
  json?: boolean;
}

export function registerTrust(program: Command): void {
  program
    .command('trust')
    .description("show the project's command chains and what changed since they were approved, then approve them for this folder")
    .option('--check', 'only show them; exit 8 when a chain needs approval')
    .option('--revoke', 'withdraw the approval: no command of this project runs until it is approved again')
    .option('--json', 'print JSON')
    .action(
      handler<TrustOpts>(async (opts, cmd) => {
        const g = globals(cmd);
        if (opts.check && opts.revoke) throw new UsageError('--check and --revoke cannot be used together');
        const cfg = loadConfig({ projectDir: g.project });
        for (const w of cfg.warnings) warn(w, g);
        const { projectRoot: root, project } = cfg;
        const store = TrustStore.open(process.env);
        const where = `project "${project.project_id}" in ${root}`;
        if (opts.revoke) {
          const had = store.revoke(root, project.project_id);
          if (opts.json) printJson({ project_id: project.project_id, root, trust_store: store.file, revoked: had });
          else if (!g.quiet) say(had ? `withdrew the approval of the command chains of ${where}; none of them runs until \`arx trust\`` : `nothing was approved for ${where}`);
          return EXIT.OK;
        }
        const approvals = chainApprovals(root, project.project_id, cfg.commands, process.env);
        const pending = approvals.filter(needsApproval);
        const approve = !opts.check && pending.length > 0;
        if (approve) store.approve(root, project.project_id, approvals, new Date());
        if (opts.json) {
          printJson({
            project_id: project.project_id,
            root,
            trust_store: store.file,
            chains: approvals.map((a) => ({ phase: a.phase, state: a.state, commands: a.commands, approved_commands: a.approved ?? null })),
            approved: pending.length === 0 || approve,
          });
        } else if (!g.quiet) {
          say(`command chains of ${where}:`);
          for (const a of approvals) for (const line of describeChain(a)) say(`  ${line}`);
          if (approvals.every((a) => a.state === 'empty')) say('this project has no commands; nothing to approve');
          else if (pending.length === 0) say(`approved (${store.approvedAt(root, project.project_id)}); nothing to do`);
          else if (approve) say(`approved the ${pending.map((a) => a.phase).join(' and ')} chain${pending.length > 1 ? 's' : ''} for this folder; they run from the next sync on`);
        }
        if (opts.check && pending.length > 0) {
          throw new ArxError('untrusted', 'CHAINS_NOT_APPROVED', `the ${pending.map((a) => a.phase).join(' and ')} chain${pending.length > 1 ? 's are' : ' is'} not approved; run \`arx trust\` to approve ${pending.length > 1 ? 'them' : 'it'}`);
        }
        return EXIT.OK;
      }),
    );
}
