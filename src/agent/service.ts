/**
 * `arx agent install-service`: a systemd user unit that runs `arx agent run`
 * and restarts it when it fails. Written atomically; enabling it is left to
 * the user (the command prints how).
 */
import { join } from 'node:path';
import { writeAtomic } from '../project/symbols/atomic-write.js';
import { readFileSync } from 'node:fs';

export const UNIT_NAME = 'arx-agent.service';

/** A word of ExecStart, quoted the way systemd reads it. */
function quote(word: string): string {
  if (/^[A-Za-z0-9_./=:+-]+$/.test(word)) return word;
  return `"${word.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/%/g, '%%')}"`;
}

export function unitText(command: string[]): string {
  return [
    '[Unit]',
    'Description=arx agent: two-way sync of Arxos projects',
    'After=network-online.target',
    'Wants=network-online.target',
    'StartLimitIntervalSec=60',
    'StartLimitBurst=4',
    '',
    '[Service]',
    'Type=exec',
    `ExecStart=${command.map(quote).join(' ')}`,
    'Restart=on-failure',
    'RestartSec=5',
    // SIGTERM: in-flight files finish, the agent exits within 10 s.
    'TimeoutStopSec=15',
    'NoNewPrivileges=true',
    '',
    '[Install]',
    'WantedBy=default.target',
    '',
  ].join('\n');
}

export function unitFile(env: NodeJS.ProcessEnv): string {
  const configHome = env.XDG_CONFIG_HOME && env.XDG_CONFIG_HOME.startsWith('/') ? env.XDG_CONFIG_HOME : join(env.HOME ?? '/', '.config');
  return join(configHome, 'systemd', 'user', UNIT_NAME);
}

/** Writes the unit; 'unchanged' when the same text is already there. */
export function installService(env: NodeJS.ProcessEnv, command: string[]): { file: string; result: 'created' | 'updated' | 'unchanged' } {
  const file = unitFile(env);
  const text = unitText(command);
  let before: string | undefined;
  try {
    before = readFileSync(file, 'utf8');
  } catch {
    before = undefined;
  }
  if (before === text) return { file, result: 'unchanged' };
  writeAtomic(file, text, file);
  return { file, result: before === undefined ? 'created' : 'updated' };
}
