/**
 * No secret ever shows: a distinct secret is planted in every setting that can
 * hold one (the SFTP password and key passphrase in `.env` and the
 * environment; webhook URLs with user-info and `?token=` for the default and a
 * named channel, in the global file), arx runs failing and succeeding syncs,
 * failing notifications, config show, status and history, and then every
 * output and every file arx may write (the project's `.arx/`, the user's state
 * and data folders) is searched for each secret.
 */
import { spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { arx, arxAsync, cleanEnv, tempDir, twoSided, write, type RunResult, type TwoSided } from '../helpers/cli.js';
import { haveSshd, startSshd, type Sshd } from '../helpers/sshd.js';

/** Each secret once, distinct, in the forms it could leak in. */
const SECRETS = {
  passwordDotenv: 'pw-in-dotenv-7Hq2',
  passwordEnv: 'pw-in-environment-Zx81',
  passphraseDotenv: 'pp-in-dotenv-Lm55',
  passphraseEnv: 'pp-in-environment-Rt09',
  defaultUser: 'dflt-hook-user',
  defaultPass: 'dflt-hook-pass-Q3',
  defaultPath: 'DFLT-HOOK-PATH',
  defaultToken: 'dflt-token-Vb64',
  teamUser: 'team-hook-user',
  teamPass: 'team-hook-pass-W7',
  teamPath: 'TEAM-HOOK-PATH',
  teamToken: 'team-token-Pk38',
};

/** Every file below `dir` (none if it does not exist). */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...filesUnder(p));
    else out.push(p);
  }
  return out;
}

/** Where each planted secret was found: "<what>: <secret name>". */
function leaks(outputs: { what: string; text: string }[], dirs: string[]): string[] {
  const places = [...outputs, ...dirs.flatMap(filesUnder).map((f) => ({ what: f, text: readFileSync(f).toString('latin1') }))];
  const found: string[] = [];
  for (const { what, text } of places) {
    for (const [name, secret] of Object.entries(SECRETS)) if (text.includes(secret) || text.includes(encodeURIComponent(secret))) found.push(`${what}: ${name}`);
  }
  return found;
}

describe.runIf(haveSshd())('secrets never show', () => {
  let sshd: Sshd;
  const servers: Server[] = [];
  let failingPort = 0;
  let downPort = 0;

  beforeAll(async () => {
    sshd = await startSshd();
    const failing = createServer((_req, res) => {
      res.statusCode = 500;
      res.end('no');
    });
    servers.push(failing);
    await new Promise<void>((r) => failing.listen(0, '127.0.0.1', r));
    failingPort = (failing.address() as AddressInfo).port;
    const down = createServer();
    await new Promise<void>((r) => down.listen(0, '127.0.0.1', r));
    downPort = (down.address() as AddressInfo).port;
    await new Promise((r) => down.close(r));
  });
  afterAll(async () => {
    for (const s of servers) {
      s.closeAllConnections();
      await new Promise((r) => s.close(r));
    }
    await sshd?.stop();
  });

  /** A project whose remote (SFTP, a key the server does not accept) and notifications come from the global file. */
  function plantedProject(extra: Record<string, unknown> = {}): { t: TwoSided; env: NodeJS.ProcessEnv } {
    const t = twoSided('secrets', { name: 'Secret Tower', ...extra });
    for (const dir of [t.a, t.b]) {
      const file = join(dir, 'arxfile.json');
      const arxfile = JSON.parse(readFileSync(file, 'utf8'));
      delete arxfile.remote;
      writeFileSync(file, JSON.stringify(arxfile, null, 2));
    }
    // Encrypted with the passphrase from the environment; its public half is not authorized.
    const key = join(tempDir(), 'enc_key');
    const gen = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', SECRETS.passphraseEnv, '-f', key], { encoding: 'utf8' });
    expect(gen.status, gen.stderr).toBe(0);
    const s = SECRETS;
    writeFileSync(
      join(t.home, '.arxconfig.json'),
      JSON.stringify({
        remote: { type: 'sftp', host: '127.0.0.1', port: sshd.port, username: sshd.user, key_file: key, known_hosts: sshd.knownHosts, retries: 1, retry_base_ms: 50 },
        notifications: {
          timeout: 2,
          webhook: `http://${s.defaultUser}:${s.defaultPass}@127.0.0.1:${downPort}/${s.defaultPath}?token=${s.defaultToken}`,
          channels: { team: { webhook: `http://${s.teamUser}:${s.teamPass}@127.0.0.1:${failingPort}/hooks/${s.teamPath}?channel=x&token=${s.teamToken}` } },
        },
      }),
    );
    writeFileSync(join(t.a, '.env'), `ARX_REMOTE_PASSWORD=${s.passwordDotenv}\nARX_REMOTE_KEY_PASSPHRASE=${s.passphraseDotenv}\n`);
    const env = cleanEnv(t.home, { ARX_REMOTE_PASSWORD: s.passwordEnv, ARX_REMOTE_KEY_PASSPHRASE: s.passphraseEnv, XDG_STATE_HOME: join(t.home, '.local', 'state') });
    return { t, env };
  }

  /** The same settings with a local remote folder in the user's data folder (a sync that succeeds). */
  function localRemote(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
    return { ...env, ARX_REMOTE_TYPE: 'local', ARX_REMOTE_PATH: join(env.XDG_DATA_HOME!, 'arx', 'remote') };
  }

  function searched(t: TwoSided, env: NodeJS.ProcessEnv): string[] {
    return [join(t.a, '.arx'), join(t.home, '.local', 'state'), env.XDG_DATA_HOME!];
  }

  it('in output, status JSON, history, config show and every file arx writes', async () => {
    const { t, env } = plantedProject();
    const envWithoutSecrets = { ...env };
    delete envWithoutSecrets.ARX_REMOTE_PASSWORD;
    delete envWithoutSecrets.ARX_REMOTE_KEY_PASSPHRASE;
    write(t.a, 'symbols/x.json', '{}');
    const outputs: { what: string; text: string }[] = [];
    const run = async (what: string, args: string[], runEnv: NodeJS.ProcessEnv = env): Promise<RunResult> => {
      const r = await arxAsync(args, { cwd: t.a, env: runEnv });
      outputs.push({ what: `${what} stdout`, text: r.stdout }, { what: `${what} stderr`, text: r.stderr });
      return r;
    };

    // Failing logins: the key decrypts (environment passphrase) but is refused, then the password.
    const login = await run('sync (login fails)', ['sync', '--verbose']);
    expect(login.code, login.stderr).toBe(6);
    expect(login.stderr).toContain(`login to ${sshd.user}@127.0.0.1:${sshd.port} failed`);
    const loginJson = await run('sync --json (login fails)', ['sync', '--json']);
    expect(loginJson.code).toBe(6);
    expect(JSON.parse(loginJson.stdout).status).toBe('failed');
    // Only .env: its passphrase is the wrong one for the key.
    const wrongPassphrase = await run('sync (wrong passphrase from .env)', ['sync', '--verbose'], envWithoutSecrets);
    expect(wrongPassphrase.code).toBe(6);
    expect(wrongPassphrase.stderr).toContain('wrong passphrase');

    // A sync that succeeds, with the embedded local remote (in the user's data folder).
    const local = await run('sync (local remote)', ['sync', '--verbose'], localRemote(env));
    expect(local.code, local.stderr).toBe(0);
    expect(existsSync(join(env.XDG_DATA_HOME!, 'arx', 'remote', 'projects', 'secrets', 'symbols', 'x.json'))).toBe(true);

    // Notifications: the default channel's receiver is down, the team's answers 500.
    const down = await run('notify (down)', ['notify', '--message', 'hello', '--verbose']);
    expect(down.code).toBe(5);
    expect(down.stderr).toContain(`could not reach the webhook of channel "default" (http://***@127.0.0.1:${downPort}/***)`);
    const failing = await run('notify --channel team (500)', ['notify', '--channel', 'team', '--message', 'hello', '--verbose']);
    expect(failing.code).toBe(5);
    expect(failing.stderr).toContain(`the webhook of channel "team" (http://***@127.0.0.1:${failingPort}/***) answered HTTP 500`);

    const show = await run('config show', ['config', 'show']);
    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(/remote\.password\s+"\*\*\*"\s+environment/);
    const showJson = await run('config show --json', ['config', 'show', '--json']);
    expect(JSON.parse(showJson.stdout).config.notifications.channels.team.webhook).toBe(`http://***@127.0.0.1:${failingPort}/***`);
    for (const args of [['status'], ['status', '--json'], ['history'], ['history', '--json']]) {
      const r = await run(args.join(' '), args);
      expect(r.code, r.stderr).toBe(0);
    }
    const history = JSON.parse(outputs.find((o) => o.what === 'history --json stdout')!.text);
    expect(history.map((s: { status: string }) => s.status)).toEqual(['completed', 'failed', 'failed', 'failed']);

    expect(leaks(outputs, searched(t, env))).toEqual([]);
  });

  // The chain is approved first, as its user would (`arx trust`); its command gets a scrubbed environment.
  it('in the log and output tail of a chain command that runs arx notify', async () => {
    const { t, env } = plantedProject({
      commands: { post_sync: [{ name: 'notify_team', command: 'arx notify --channel team --verbose', timeout: 30, required: false }] },
    });
    const localEnv = localRemote(env);
    expect(arx(['trust', '--quiet'], { cwd: t.a, env: localEnv }).code).toBe(0);
    const r = await arxAsync(['sync', '--json'], { cwd: t.a, env: localEnv });
    expect(r.code, r.stderr).toBe(0);
    const status = JSON.parse(r.stdout);
    expect(status.commands[0]).toMatchObject({ name: 'notify_team', success: false, exit_code: 5 });
    expect(status.commands[0].output_tail.join('\n')).toContain('answered HTTP 500');
    const log = readFileSync(join(t.a, '.arx', 'logs', 'commands', `${status.sync_id}-notify_team.log`), 'utf8');
    expect(log).toContain(`(http://***@127.0.0.1:${failingPort}/***) answered HTTP 500`);
    expect(leaks([{ what: 'sync stdout', text: r.stdout }, { what: 'sync stderr', text: r.stderr }], searched(t, env))).toEqual([]);
  });
});
