/** Where the agent keeps its files: the user's state folder for arx (never a project). */
import { join } from 'node:path';
import { userStateDir } from '../chain/trust-store.js';

export interface AgentPaths {
  dir: string;
  /** Held while an agent runs: its pid and address (see instance.ts). */
  lock: string;
  /** The generated API token (mode 0600) when ARX_AGENT_TOKEN is not set. */
  token: string;
  /** JSON lines, rotated by size (agent.log.1 ... agent.log.5). */
  log: string;
  /** What a background agent wrote to stdout and stderr (a crash before its log opened). */
  output: string;
}

export function agentPaths(env: NodeJS.ProcessEnv): AgentPaths {
  const dir = join(userStateDir(env), 'agent');
  return { dir, lock: join(dir, 'agent.lock'), token: join(dir, 'token'), log: join(dir, 'agent.log'), output: join(dir, 'agent.out') };
}
