/**
 * One agent per user: a lock file in the agent's state folder, created
 * exclusively, holding the pid and the address it listens on. A lock whose
 * process is gone (a crash, a reboot) is taken over; a live one is refused
 * with its pid and address.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync, linkSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { ArxError, errnoCode, fsErrorToArx } from '../errors.js';
import { writeAtomic } from '../project/symbols/atomic-write.js';
import { dirname } from 'node:path';

export interface InstanceInfo {
  pid: number;
  /** http(s)://host:port once it listens; null while it starts. */
  address: string | null;
  started: string;
}

export class AgentRunningError extends ArxError {
  constructor(readonly holder: InstanceInfo) {
    super('lock', 'AGENT_RUNNING', `an agent already runs for this user (pid ${holder.pid}${holder.address ? `, listening on ${holder.address}` : ', starting'}); stop it first with \`arx agent stop\``);
  }
}

/** True while `pid` runs and is an arx agent (a pid the system gave to another program since is not). */
export function isAgentProcess(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    if (errnoCode(err) !== 'EPERM') return false;
  }
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return cmdline.includes('agent');
  } catch {
    // No /proc (not Linux): the pid alone decides.
    return true;
  }
}

function parse(text: string): InstanceInfo | undefined {
  try {
    const v = JSON.parse(text) as InstanceInfo;
    return typeof v.pid === 'number' ? v : undefined;
  } catch {
    return undefined;
  }
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return undefined;
    throw fsErrorToArx(err, file, 'local');
  }
}

/** The running agent, if any (a stale lock is no agent). */
export function runningInstance(file: string): InstanceInfo | undefined {
  const text = readText(file);
  const info = text === undefined ? undefined : parse(text);
  return info && isAgentProcess(info.pid) ? info : undefined;
}

export interface InstanceLock {
  info: InstanceInfo;
  setAddress(address: string): void;
  release(): void;
}

/** Takes the lock for this process, or throws AgentRunningError naming the agent that holds it. */
export function acquireInstance(file: string, now: Date = new Date()): InstanceLock {
  const info: InstanceInfo = { pid: process.pid, address: null, started: now.toISOString() };
  const text = JSON.stringify(info) + '\n';
  try {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  } catch (err) {
    throw fsErrorToArx(err, dirname(file), 'local');
  }
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      writeFileSync(file, text, { flag: 'wx', mode: 0o600 });
      return lockOf(file, info);
    } catch (err) {
      if (errnoCode(err) !== 'EEXIST') throw fsErrorToArx(err, file, 'local');
    }
    const heldText = readText(file);
    if (heldText === undefined) continue;
    const held = parse(heldText);
    if (held && isAgentProcess(held.pid)) throw new AgentRunningError(held);
    // Stale: move it aside under a name of our own, then check that what moved is the stale lock
    // (another starter may have replaced it meanwhile; its live lock goes back).
    const aside = `${file}.stale-${randomBytes(4).toString('hex')}`;
    try {
      renameSync(file, aside);
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') continue;
      throw fsErrorToArx(err, file, 'local');
    }
    const moved = readText(aside);
    if (moved !== heldText) {
      try {
        linkSync(aside, file);
      } catch {
        // A third starter took the lock meanwhile: it is theirs.
      }
      rmSync(aside, { force: true });
      const other = moved === undefined ? undefined : parse(moved);
      if (other) throw new AgentRunningError(other);
      continue;
    }
    rmSync(aside, { force: true });
  }
  throw new ArxError('lock', 'AGENT_LOCK_BUSY', `could not take the agent lock ${file}: other agents are starting at the same moment; try again`);
}

function lockOf(file: string, info: InstanceInfo): InstanceLock {
  let released = false;
  return {
    info,
    setAddress(address) {
      info.address = address;
      writeAtomic(file, JSON.stringify(info) + '\n', file);
    },
    release() {
      if (released) return;
      released = true;
      // Only our own lock is removed.
      if (parse(readText(file) ?? '')?.pid === process.pid) rmSync(file, { force: true });
    },
  };
}
