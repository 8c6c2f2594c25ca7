/**
 * A real OpenSSH sshd for tests and the benchmark: its own config, host key and authorized keys
 * in a temp folder, on a free loopback port, run in the foreground as a child
 * (its own process group, so stopping it also ends its sessions). Nothing of
 * the system's ssh configuration is touched, and port 22 is never used.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, connect } from 'node:net';
import { join } from 'node:path';

export const SSHD = '/usr/sbin/sshd';

export function haveSshd(): boolean {
  return existsSync(SSHD) && spawnSync('sh', ['-c', 'command -v ssh-keygen']).status === 0;
}

export interface Sshd {
  port: number;
  dir: string;
  /** Login name the tests use (the current user). */
  user: string;
  /** A private key the server accepts. */
  clientKey: string;
  /** A known_hosts file that trusts this server. */
  knownHosts: string;
  /** The host key line as `<type> <base64>`. */
  hostKey: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Give the server a new host key (takes effect on restart). */
  newHostKey(): void;
}

function run(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`sshd did not listen on ${port} within ${timeoutMs} ms`);
}

/** Every process below `pid`, from /proc. */
function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const [state, ppidField] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (state === 'Z') continue; // exited, not yet reaped: nothing left to stop
      const ppid = Number(ppidField);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(name)]);
    } catch {
      // exited meanwhile
    }
  }
  const out: number[] = [];
  const walk = (p: number): void => {
    for (const c of children.get(p) ?? []) {
      out.push(c);
      walk(c);
    }
  };
  walk(pid);
  return out;
}

export interface SshdOptions {
  password?: boolean;
  dir?: string;
  sftpOnly?: boolean;
  /** PATH of the sessions' commands (a server that lacks some tool). */
  path?: string;
}

export async function startSshd(opts: SshdOptions = {}): Promise<Sshd> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'arx-sshd-'));
  const port = await freePort();
  const user = process.env.USER && process.getuid?.() !== 0 ? process.env.USER : 'root';
  run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'host_key')]);
  run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'arx-test', '-f', join(dir, 'client_key')]);
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(join(dir, 'client_key.pub')));
  const config = [
    `Port ${port}`,
    'ListenAddress 127.0.0.1',
    `HostKey ${join(dir, 'host_key')}`,
    `PidFile ${join(dir, 'sshd.pid')}`,
    `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
    `PermitRootLogin ${opts.password ? 'yes' : 'prohibit-password'}`,
    `PasswordAuthentication ${opts.password ? 'yes' : 'no'}`,
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    'StrictModes no',
    'MaxSessions 30',
    'MaxStartups 100',
    'Subsystem sftp internal-sftp',
    // An SFTP-only account: every session, whatever command it asks for, gets the SFTP server.
    ...(opts.sftpOnly ? ['ForceCommand internal-sftp'] : []),
    // Sessions get an empty home: a slow shell start-up file must not weigh on `ssh host command`.
    `SetEnv HOME=${join(dir, 'home')}${opts.path === undefined ? '' : ` PATH=${opts.path}`}`,
    'LogLevel ERROR',
  ].join('\n');
  mkdirSync(join(dir, 'home'), { recursive: true });
  writeFileSync(join(dir, 'sshd_config'), config + '\n');
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  run(SSHD, ['-t', '-f', join(dir, 'sshd_config')]);

  let child: ChildProcess | undefined;
  const hostKeyLine = (): string => readFileSync(join(dir, 'host_key.pub'), 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
  const knownHosts = join(dir, 'known_hosts');
  const writeKnownHosts = (): void => writeFileSync(knownHosts, `[127.0.0.1]:${port} ${hostKeyLine()}\n`);
  writeKnownHosts();

  const sshd: Sshd = {
    port,
    dir,
    user,
    clientKey: join(dir, 'client_key'),
    knownHosts,
    get hostKey() {
      return hostKeyLine();
    },
    async start() {
      child = spawn(SSHD, ['-D', '-f', join(dir, 'sshd_config'), '-E', join(dir, 'sshd.log')], { detached: true, stdio: 'ignore' });
      await waitForPort(port, 10_000);
    },
    async stop() {
      const c = child;
      child = undefined;
      if (!c || c.exitCode !== null) return;
      const exited = new Promise((r) => c.once('exit', r));
      const kill = (pid: number, signal: NodeJS.Signals): void => {
        try {
          process.kill(pid, signal);
        } catch {
          // already gone
        }
      };
      // The listener stops accepting, then every session it forked (sessions may leave its process
      // group, and fork commands while being killed: again until none is left), then the listener.
      kill(c.pid!, 'SIGSTOP');
      for (let left = descendants(c.pid!); left.length > 0; left = descendants(c.pid!)) {
        for (const pid of left) kill(pid, 'SIGKILL');
        await new Promise((r) => setTimeout(r, 5));
      }
      kill(c.pid!, 'SIGKILL');
      await exited;
    },
    newHostKey() {
      run('rm', ['-f', join(dir, 'host_key'), join(dir, 'host_key.pub')]);
      run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'host_key')]);
    },
  };
  await sshd.start();
  return sshd;
}
