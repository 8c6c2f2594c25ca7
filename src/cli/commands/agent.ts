/**
 * `arx agent run|start|stop|status|add|remove|token|install-service|log`.
 * The agent lives in its own bundle (dist/agent.cjs), loaded only here.
 */
import type { Command } from 'commander';
import { createRequire } from 'node:module';
import { globals, handler } from '../handler.js';

interface AgentModule {
  runAgentCommand(sub: string, args: string[], opts: Record<string, unknown>, g: { verbose?: boolean; quiet?: boolean }): Promise<number>;
}

function agentModule(): AgentModule {
  return createRequire(import.meta.url)('./agent.cjs') as AgentModule;
}

export function registerAgent(program: Command): void {
  const agent = program.command('agent').description('the agent: syncs the listed projects by itself and serves an HTTP API (arx agent --help)');
  const sub = (name: string, description: string, args = '') => {
    const c = agent.command(`${name}${args ? ` ${args}` : ''}`).description(description);
    c.action(
      handler<Record<string, unknown>>(async (opts, cmd, positional) => {
        const g = globals(cmd);
        // `arx agent log --project ID`: the option shares its name with the global --project DIR, which takes it.
        if (name === 'log' && g.project !== undefined) opts = { ...opts, project: g.project };
        return agentModule().runAgentCommand(name, positional, opts, { verbose: g.verbose === true, quiet: g.quiet === true });
      }),
    );
    return c;
  };
  sub('run', 'run the agent in the foreground (for systemd and containers); SIGTERM or Ctrl-C stops it');
  sub('start', 'start the agent in the background');
  sub('stop', 'stop the background agent (running syncs finish their files in flight)');
  sub('status', 'is the agent running, and how are its projects').option('--json', 'print it as JSON');
  sub('add', "add a project folder to the agent's list (agent.projects in ~/.arxconfig.json)", '<dir>');
  sub('remove', "remove a project folder from the agent's list", '<dir>');
  sub('token', "print the API's token (Authorization: Bearer <token>)");
  sub('install-service', 'write a systemd user unit that runs the agent and restarts it on failure');
  sub('log', "print the agent's log readably")
    .option('-f, --follow', 'keep printing new lines until Ctrl-C')
    .option('--project <id>', "only the lines of this project (its project_id)")
    .option('-n, --lines <n>', 'only the last N lines');
}
