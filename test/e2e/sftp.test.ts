/**
 * The SFTP remote against a real OpenSSH sshd on loopback: logins (key,
 * encrypted key, ssh-agent, password), host keys (unknown, trusted, accepted,
 * changed), and network faults (server gone, server stopped mid-transfer).
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { arx, arxSpawn, read, snapshot, tempDir, twoSided, write, type TwoSided } from '../helpers/cli.js';
import { haveSshd, sftpKind, startSshd, type Sshd } from '../helpers/sshd.js';

const isRoot = process.getuid?.() === 0;

const viaSshd = sftpKind;

/** Rewrite one side's remote settings (in its global file: the remote is local-only). */
function setRemote(t: TwoSided, side: 'a' | 'b', change: (remote: Record<string, unknown>) => void): void {
  t.setGlobal(side, (cfg) => change(cfg.remote));
}

/**
 * Move the remote settings of both sides into the global file of the shared HOME
 * (where they belong: they never travel with the project), changed by `change`.
 */
function remoteInGlobal(t: TwoSided, change: (remote: Record<string, unknown>) => void = () => undefined): Record<string, unknown> {
  for (const side of ['a', 'b'] as const) setRemote(t, side, change);
  return JSON.parse(readFileSync(t.globalFile('a'), 'utf8')).remote;
}

/** The SHA256 fingerprint of a `<type> <base64>` host key, as ssh-keygen -l prints it. */
function fingerprintOf(hostKey: string): string {
  return `SHA256:${createHash('sha256').update(Buffer.from(hostKey.split(' ')[1]!, 'base64')).digest('base64').replace(/=+$/, '')}`;
}

describe.runIf(haveSshd())('SFTP remote', () => {
  let sshd: Sshd;
  beforeAll(async () => {
    sshd = await startSshd();
  });
  afterAll(async () => {
    await sshd?.stop();
  });

  describe('logins', () => {
    it('with a key file, and reports a wrong key (exit 6) naming user, host and what was tried', () => {
      const t = twoSided('s1', {}, viaSshd(sshd));
      write(t.a, 'symbols/x.json', '{}');
      expect(t.sync('a').code).toBe(0);
      expect(read(t.remote, 'symbols/x.json')).toBe('{}');
      const other = join(tempDir(), 'other_key');
      spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', other]);
      setRemote(t, 'a', (r) => (r.key_file = other));
      const r = t.run('a', 'sync');
      expect(r.code).toBe(6);
      expect(r.stderr).toContain(`login to ${sshd.user}@127.0.0.1:${sshd.port} failed (tried key ${other})`);
      // The login runs while the sync starts scanning: that progress line, then one error line.
      expect(r.stderr.trim().split('\n').filter((l) => !l.startsWith('arx: scanning '))).toEqual([expect.stringMatching(/^arx: error: login to /)]);
    });

    it('with an encrypted key and ARX_REMOTE_KEY_PASSPHRASE; a missing passphrase is a clear error', () => {
      const dir = tempDir();
      const key = join(dir, 'enc_key');
      spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'open sesame', '-f', key]);
      writeFileSync(join(sshd.dir, 'authorized_keys'), readFileSync(`${key}.pub`), { flag: 'a' });
      const t = twoSided('s2', {}, viaSshd(sshd));
      setRemote(t, 'a', (r) => (r.key_file = key));
      const missing = t.run('a', 'sync');
      expect(missing.code).toBe(6);
      expect(missing.stderr).toContain('ARX_REMOTE_KEY_PASSPHRASE');
      writeFileSync(join(t.a, '.env'), 'ARX_REMOTE_KEY_PASSPHRASE=open sesame\n');
      const good = t.sync('a');
      expect(good.code, good.stderr).toBe(0);
      writeFileSync(join(t.a, '.env'), 'ARX_REMOTE_KEY_PASSPHRASE=wrong\n');
      const wrong = t.run('a', 'sync');
      expect(wrong.code).toBe(6);
      expect(wrong.stderr).toContain('wrong passphrase');
      expect(good.stderr + wrong.stderr).not.toContain('open sesame');
    });

    it('through ssh-agent when no key file is given', async () => {
      const dir = tempDir();
      const sock = join(dir, 'agent.sock');
      const agent = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' });
      try {
        for (let i = 0; i < 100 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 20));
        const add = spawnSync('ssh-add', [sshd.clientKey], { env: { ...process.env, SSH_AUTH_SOCK: sock }, encoding: 'utf8' });
        expect(add.status, add.stderr).toBe(0);
        const t = twoSided('s3', {}, viaSshd(sshd));
        setRemote(t, 'a', (r) => delete r.key_file);
        write(t.a, 'symbols/agent.json', '{}');
        const r = arx(['sync', '--quiet'], { cwd: t.a, env: { ...t.env, SSH_AUTH_SOCK: sock } });
        expect(r.code, r.stderr).toBe(0);
        expect(read(t.remote, 'symbols/agent.json')).toBe('{}');
        const none = arx(['sync'], { cwd: t.a, env: t.env });
        expect(none.code).toBe(2);
        expect(none.stderr).toContain('no way to log in');
      } finally {
        agent.kill();
      }
    });
  });

  describe('host keys', () => {
    it('refuses an unknown host with its fingerprint; arx remote trust records it', () => {
      const t = twoSided('h1', {}, viaSshd(sshd));
      const knownHosts = join(tempDir(), 'known_hosts');
      setRemote(t, 'a', (r) => (r.known_hosts = knownHosts));
      const r = t.run('a', 'sync');
      expect(r.code).toBe(6);
      expect(r.stderr).toMatch(/the host key of \[127\.0\.0\.1\]:\d+ is not known \(SHA256:[A-Za-z0-9+/]{43}\)/);
      expect(r.stderr).toContain('arx remote trust');
      const trust = t.run('a', 'remote', 'trust');
      expect(trust.code, trust.stderr).toBe(0);
      expect(trust.stdout).toContain('trusted [127.0.0.1]');
      expect(readFileSync(knownHosts, 'utf8')).toContain(sshd.hostKey);
      expect(t.sync('a').code).toBe(0);
      expect(t.run('a', 'remote', 'trust').stdout).toContain('already trusted');
    });

    it('accept-new records a new host but never accepts a changed key', async () => {
      const t = twoSided('h2', {}, viaSshd(sshd));
      const knownHosts = join(tempDir(), 'known_hosts');
      setRemote(t, 'a', (r) => {
        r.known_hosts = knownHosts;
        r.host_key_policy = 'accept-new';
      });
      expect(t.sync('a').code).toBe(0);
      expect(readFileSync(knownHosts, 'utf8')).toContain(sshd.hostKey);
      // The server's key changes (a reinstall, or someone in the middle).
      await sshd.stop();
      sshd.newHostKey();
      await sshd.start();
      try {
        const r = t.run('a', 'sync');
        expect(r.code).toBe(6);
        expect(r.stderr).toContain('has CHANGED');
        expect(r.stderr).toContain(`${knownHosts} line 1`);
        const trust = t.run('a', 'remote', 'trust');
        expect(trust.code).toBe(6);
      } finally {
        // Later tests trust the server through its own known_hosts file.
        writeFileSync(sshd.knownHosts, `[127.0.0.1]:${sshd.port} ${sshd.hostKey}\n`);
      }
    });
  });

  describe('known_hosts markers and pinning', () => {
    it('a key marked @revoked is refused (exit 6) even where another line trusts it, and nothing changes', () => {
      const t = twoSided('rv', {}, viaSshd(sshd));
      const knownHosts = join(tempDir(), 'known_hosts');
      const name = `[127.0.0.1]:${sshd.port}`;
      writeFileSync(knownHosts, `${name} ${sshd.hostKey}\n# the old server's key leaked\n@revoked ${name} ${sshd.hostKey}\n`);
      remoteInGlobal(t, (r) => (r.known_hosts = knownHosts));
      write(t.a, 'symbols/x.json', '{}');
      const before = snapshot(t.a);
      const r = t.run('a', 'sync');
      expect(r.code, r.stderr).toBe(6);
      expect(r.stderr).toContain(`arx: error: the host key of ${name} (${fingerprintOf(sshd.hostKey)}) is marked as revoked in ${knownHosts} line 3; the connection was refused`);
      expect(existsSync(t.remoteRoot)).toBe(false);
      expect(snapshot(t.a)).toEqual(before);
      // accept-new changes nothing about it, nor does remote trust.
      setRemote(t, 'a', (r) => (r.host_key_policy = 'accept-new'));
      expect(t.run('a', 'sync').code).toBe(6);
      const trust = t.run('a', 'remote', 'trust');
      expect(trust.code).toBe(6);
      expect(trust.stderr).toContain('is marked as revoked');
      expect(readFileSync(knownHosts, 'utf8').split('\n')).toHaveLength(4);
    });

    it('a @cert-authority line is ignored with a warning naming its file and line; the plain line still works', () => {
      const t = twoSided('ca', {}, viaSshd(sshd));
      const knownHosts = join(tempDir(), 'known_hosts');
      const ca = join(tempDir(), 'ca');
      spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', ca]);
      const caKey = readFileSync(`${ca}.pub`, 'utf8').trim().split(' ').slice(0, 2).join(' ');
      writeFileSync(knownHosts, `@cert-authority [127.0.0.1]:* ${caKey}\n[127.0.0.1]:${sshd.port} ${sshd.hostKey}\n`);
      remoteInGlobal(t, (r) => (r.known_hosts = knownHosts));
      write(t.a, 'symbols/ca.json', '{}');
      const r = t.run('a', 'sync');
      expect(r.code, r.stderr).toBe(0);
      expect(read(t.remote, 'symbols/ca.json')).toBe('{}');
      const warning = `${knownHosts} line 1 was ignored: @cert-authority lines (host certificates) are not supported by arx`;
      expect(r.stderr.split('\n').filter((l) => l.includes('was ignored'))).toEqual([`arx: warning: ${warning}`]);
      expect(JSON.parse(t.run('a', 'status', '--json').stdout).warnings).toContain(warning);
    });

    it('remote trust --fingerprint records the key only when the server shows that fingerprint', () => {
      const t = twoSided('fp', {}, viaSshd(sshd));
      const knownHosts = join(tempDir(), 'ssh', 'known_hosts');
      remoteInGlobal(t, (r) => (r.known_hosts = knownHosts));
      const right = fingerprintOf(sshd.hostKey);
      const wrong = fingerprintOf(`x ${Buffer.from('another key').toString('base64')}`);
      const refused = t.run('a', 'remote', 'trust', '--fingerprint', wrong);
      expect(refused.code).toBe(6);
      expect(refused.stderr).toContain(`[127.0.0.1]:${sshd.port} presents the host key ${right}, not the expected ${wrong}; nothing was recorded`);
      expect(existsSync(knownHosts)).toBe(false);
      const malformed = t.run('a', 'remote', 'trust', '--fingerprint', 'MD5:00:11');
      expect(malformed.code).toBe(2);
      expect(malformed.stderr).toContain('--fingerprint: expected a SHA256 fingerprint');
      const trusted = t.run('a', 'remote', 'trust', '--fingerprint', right);
      expect(trusted.code, trusted.stderr).toBe(0);
      expect(trusted.stdout).toContain(`trusted [127.0.0.1]:${sshd.port} with host key ${right} (the expected fingerprint)`);
      expect(readFileSync(knownHosts, 'utf8')).toBe(`[127.0.0.1]:${sshd.port} ${sshd.hostKey}\n`);
      expect(t.sync('a').code).toBe(0);
      // Already trusted: a wrong fingerprint is still refused.
      expect(t.run('a', 'remote', 'trust', '--fingerprint', wrong).code).toBe(6);
      expect(t.run('a', 'remote', 'trust', '--fingerprint', right).stdout).toContain('already trusted');
    });
  });

  describe('remote folder', () => {
    it('a relative folder is taken from the login folder', () => {
      const t = twoSided('rel', {}, viaSshd(sshd));
      const name = `arx-test-${process.pid}-${Date.now()}`;
      setRemote(t, 'a', (r) => (r.path = name));
      write(t.a, 'symbols/x.json', '{}');
      const home = isRoot ? '/root' : process.env.HOME!;
      try {
        expect(t.sync('a').code).toBe(0);
        expect(readFileSync(join(home, name, 'projects/rel/symbols/x.json'), 'utf8')).toBe('{}');
      } finally {
        rmSync(join(home, name), { recursive: true, force: true });
      }
    });
  });

  describe('many new small files', () => {
    it('go up in batches: each arrives complete with its time, nothing else is left, and the next sync has nothing to do', () => {
      const t = twoSided('batch', {}, viaSshd(sshd));
      for (let i = 0; i < 300; i++) write(t.a, `symbols/g${i % 7}/s${i}.json`, `{"id":${i}}`);
      write(t.a, "symbols/it's `odd` $(x)/Hello, 世界.json", '{"odd":true}');
      write(t.a, 'models/mid.ifc', Buffer.alloc(300 * 1024, 3)); // too big for a batch: on its own
      const first = t.syncJson('a');
      expect(first.code, JSON.stringify(first.status.errors)).toBe(0);
      expect(first.status.files_uploaded).toBe(303); // and arxfile.json
      const local = snapshot(t.a, ['.arx', 'arxfile.json']);
      const remote = snapshot(t.remote, ['arxfile.json']);
      expect(remote).toEqual(local);
      for (const p of ['symbols/g3/s10.json', "symbols/it's `odd` $(x)/Hello, 世界.json"]) {
        expect(statSync(join(t.remote, p)).mtimeMs).toBe(Math.floor(statSync(join(t.a, p)).mtimeMs / 1000) * 1000);
      }
      const again = t.syncJson('a');
      expect(again.code).toBe(0);
      expect([again.status.files_uploaded, again.status.files_downloaded]).toEqual([0, 0]);
      // The other side gets them all.
      const other = t.syncJson('b');
      expect(other.status.files_downloaded).toBe(302);
      expect(snapshot(t.b, ['.arx', 'arxfile.json'])).toEqual(local);
    });
  });

  /**
   * Sync side a, stop the server once `underWay` holds (polled every `pollMs`), restart it
   * after the sync ended, and check that the sync failed as a network fault (exit 5).
   */
  async function syncCutOff(t: TwoSided, underWay: () => boolean, pollMs: number): Promise<void> {
    const child = arxSpawn(['sync', '--json', '--quiet'], { cwd: t.a, env: t.env });
    let out = '';
    let errOut = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (errOut += d));
    const done = new Promise<number>((r) => child.once('close', (code) => r(code ?? -1)));
    for (let i = 0; i < 15_000 / pollMs && !underWay(); i++) await new Promise((r) => setTimeout(r, pollMs));
    expect(underWay()).toBe(true);
    await sshd.stop();
    const code = await done;
    await sshd.start();
    expect(code, `${out}\n${errOut}`).toBe(5);
    const status = JSON.parse(out);
    expect(status.status).toBe('failed');
    expect(status.errors[0].type).toBe('network');
  }

  describe('network faults', () => {
    it('a server that is down fails the sync with exit 5 and a network error, changing nothing', async () => {
      const t = twoSided('n1', {}, viaSshd(sshd));
      write(t.a, 'symbols/x.json', '{}');
      expect(t.sync('a').code).toBe(0);
      write(t.a, 'symbols/y.json', '{}');
      await sshd.stop();
      try {
        // The scan cannot list the remote: the retry is shown, then one error line.
        const r = t.run('a', 'sync');
        expect(r.code).toBe(5);
        const lines = r.stderr.trim().split('\n').filter((l) => !l.startsWith('arx: scanning '));
        expect(lines).toHaveLength(2);
        expect(lines[0]).toContain('retry 1 of 1');
        expect(lines.at(-1)).toBe(`arx: error: cannot reach 127.0.0.1:${sshd.port}: connection refused; gave up after 1 retries`);
        // The sync is on record as failed, with a network error.
        const last = JSON.parse(t.run('a', 'status', '--json').stdout) as { status: string; errors: { type: string }[] };
        expect(last.status).toBe('failed');
        expect(last.errors.map((e) => e.type)).toEqual(['network']);
      } finally {
        await sshd.start();
      }
      expect(existsSync(join(t.remote, 'symbols/y.json'))).toBe(false);
      expect(t.sync('a').code).toBe(0);
      expect(read(t.remote, 'symbols/y.json')).toBe('{}');
    });

    it('the server stopped in the middle of a large transfer: exit 5, nothing partial visible; the next sync converges', async () => {
      const t = twoSided('n2', {}, viaSshd(sshd));
      write(t.a, 'symbols/x.json', '{}');
      expect(t.sync('a').code).toBe(0);
      const big = Buffer.alloc(400 * 1024 * 1024, 7);
      for (let i = 0; i < big.length; i += 4096) big[i] = i % 251;
      write(t.a, 'models/huge.ifc', big);
      // Stop the server once the upload is under way (a temporary file is growing on the server).
      const models = join(t.remote, 'models');
      const growing = (): boolean => existsSync(models) && readdirSync(models).some((n) => n.startsWith('.arx-tmp-') && statSync(join(models, n)).size > 0);
      await syncCutOff(t, growing, 10);
      expect(existsSync(join(t.remote, 'models/huge.ifc'))).toBe(false);
      expect(snapshot(t.a).get('models/huge.ifc')).toBeDefined();
      // Restarted: the next sync finishes the job and cleans the leftover temporary.
      const again = t.syncJson('a');
      expect(again.code, JSON.stringify(again.status.errors)).toBe(0);
      expect(again.status.files_uploaded).toBe(1);
      expect(readdirSync(models).filter((n) => n.startsWith('.arx-tmp-'))).toEqual([]);
      expect(snapshot(t.remote).get('models/huge.ifc')).toBe(snapshot(t.a).get('models/huge.ifc'));
    });

    it('the server stopped in the middle of batch uploads: exit 5, every file on the server complete; the next sync converges', async () => {
      const t = twoSided('n3', {}, viaSshd(sshd));
      const count = 12_000;
      for (let i = 0; i < count; i++) write(t.a, `symbols/g${String(i % 60).padStart(2, '0')}/s${i}.json`, `{"id":${i},"pad":"${'p'.repeat(i % 200)}"}`);
      // Stop the server once files have begun to land.
      const first = join(t.remote, 'symbols/g00');
      await syncCutOff(t, () => existsSync(first) && readdirSync(first).some((n) => n.endsWith('.json')), 5);
      // Whatever is on the server under a project name is whole; the rest did not arrive yet.
      // (The cut-off sync could not remove its remote lock: the next one here takes it over.)
      const local = snapshot(t.a, ['.arx', 'arxfile.json']);
      const onServer = [...snapshot(t.remote, ['arxfile.json', '.arx-lock'])].filter(([p]) => !p.split('/').pop()!.startsWith('.arx-tmp-'));
      expect(onServer.length).toBeLessThan(local.size);
      for (const [p, hash] of onServer) expect(hash, p).toBe(local.get(p));
      // Restarted: the next sync finishes the job and removes the leftover temporaries.
      const again = t.syncJson('a');
      expect(again.code, JSON.stringify(again.status.errors)).toBe(0);
      expect(again.status.conflicts).toEqual([]);
      expect(snapshot(t.remote, ['arxfile.json'])).toEqual(local);
    });
  });
});

describe.runIf(haveSshd() && isRoot)('SFTP password login (a real account)', () => {
  const user = 'arxtest';
  let sshd: Sshd;
  let home: string;
  beforeAll(async () => {
    spawnSync('userdel', ['-r', user], { stdio: 'ignore' });
    const add = spawnSync('useradd', ['-m', user], { encoding: 'utf8' });
    if (add.status !== 0) throw new Error(add.stderr);
    spawnSync('chpasswd', [], { input: `${user}:correct horse 42\n` });
    home = `/home/${user}`;
    sshd = await startSshd({ password: true });
  });
  afterAll(async () => {
    await sshd?.stop();
    spawnSync('userdel', ['-r', user], { stdio: 'ignore' });
  });

  it('logs in with ARX_REMOTE_PASSWORD; a wrong one exits 6 and is never shown', () => {
    const t = twoSided('pw', {}, { kind: 'sftp', port: sshd.port, user, clientKey: '', knownHosts: sshd.knownHosts });
    const folder = join(home, 'arx');
    mkdirSync(folder, { recursive: true });
    chownSync(folder, Number(spawnSync('id', ['-u', user], { encoding: 'utf8' }).stdout.trim()), Number(spawnSync('id', ['-g', user], { encoding: 'utf8' }).stdout.trim()));
    chmodSync(folder, 0o755);
    setRemote(t, 'a', (r) => {
      delete r.key_file;
      r.path = folder;
    });
    write(t.a, 'symbols/pw.json', '{}');
    const run = (password: string) => arx(['sync', '--quiet'], { cwd: t.a, env: { ...t.env, ARX_REMOTE_PASSWORD: password } });
    const good = run('correct horse 42');
    expect(good.code, good.stderr).toBe(0);
    expect(readFileSync(join(folder, 'projects/pw/symbols/pw.json'), 'utf8')).toBe('{}');
    const bad = run('wrong battery 7');
    expect(bad.code).toBe(6);
    expect(bad.stderr).toContain(`login to ${user}@127.0.0.1:${sshd.port} failed (tried password)`);
    expect(bad.stderr + bad.stdout).not.toContain('wrong battery');
    const shown = arx(['config', 'show'], { cwd: t.a, env: { ...t.env, ARX_REMOTE_PASSWORD: 'correct horse 42' } });
    expect(shown.stdout).not.toContain('correct horse');
    expect(shown.stdout).toMatch(/remote\.password\s+"\*\*\*"\s+environment/);
  });
});
