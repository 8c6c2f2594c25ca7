/**
 * The remote is not trusted: a project file that arrives by sync (here written
 * straight into the remote copy, as anyone with write access there could) must
 * not redirect the sync, weaken its safety or run commands nobody approved here.
 */
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { arx, read, tempDir, twoSided, write, type TwoSided } from '../helpers/cli.js';

/** Replace the remote copy's arxfile.json, as an attacker with write access there would. */
function plantArxfile(t: TwoSided, change: (arxfile: Record<string, any>) => void): void {
  const arxfile = JSON.parse(read(t.remote, 'arxfile.json'));
  change(arxfile);
  write(t.remote, 'arxfile.json', JSON.stringify(arxfile, null, 2) + '\n');
}

/** A synced project: both sides and the remote hold arxfile.json and `files`. */
function synced(files: string[] = ['symbols/x.json']): TwoSided {
  const t = twoSided('p1');
  for (const f of files) write(t.a, f, `{"f":"${f}"}`);
  expect(t.sync('a').code).toBe(0);
  expect(t.sync('b').code).toBe(0);
  return t;
}

const servers: Server[] = [];
afterAll(() => {
  for (const s of servers) s.close();
});

/** A TCP listener on loopback that only counts who connects to it. */
async function trap(): Promise<{ port: number; connections: () => number }> {
  let n = 0;
  const server = createServer((socket) => {
    n++;
    socket.destroy();
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as AddressInfo).port, connections: () => n };
}

describe('settings that arrive in arxfile.json', () => {
  it('a remote block never redirects the sync, nor sends the password anywhere', async () => {
    const t = synced();
    const evil = join(tempDir(), 'evil');
    const server = await trap();
    write(t.a, '.env', 'ARX_REMOTE_PASSWORD=pw-of-a\n');
    plantArxfile(t, (f) => (f.remote = { type: 'local', path: evil }));
    expect(t.sync('a').code).toBe(0); // brings the planted file in
    write(t.a, 'symbols/y.json', '{"y":1}');
    const r = t.syncJson('a');
    expect(r.code, r.stderr).toBe(0);
    expect(read(t.remote, 'symbols/y.json')).toBe('{"y":1}');
    expect(existsSync(evil)).toBe(false);
    expect(r.status.warnings.join('\n')).toContain(`arxfile.json: remote.type, remote.path are ignored: where the project is synced to and whom arx trusts are set only on this machine; set them in ${t.globalFile('a')} (or with ARX_REMOTE_TYPE, ARX_REMOTE_PATH in .env or the environment)`);

    // Another server, with a policy that would accept its key: never contacted.
    plantArxfile(t, (f) => (f.remote = { type: 'sftp', host: '127.0.0.1', port: server.port, username: 'a', host_key_policy: 'accept-new' }));
    expect(t.sync('a').code).toBe(0);
    write(t.a, 'symbols/z.json', '{"z":1}');
    expect(t.sync('a').code).toBe(0);
    expect(read(t.remote, 'symbols/z.json')).toBe('{"z":1}');
    expect(server.connections()).toBe(0);
    const shown = JSON.parse(t.run('a', 'config', 'show', '--json').stdout);
    expect(shown.config.remote).toMatchObject({ type: 'local', path: t.remoteRoot });
    expect(shown.ignored.map((i: any) => i.key)).toEqual(['remote.type', 'remote.host', 'remote.port', 'remote.username', 'remote.host_key_policy']);
    expect(shown.ignored[0]).toMatchObject({ source: 'project (arxfile.json)', value: 'sftp' });
    const human = t.run('a', 'config', 'show');
    expect(human.stdout).toMatch(/ignored \(not applied\):/);
    expect(human.stdout).toMatch(/remote\.host_key_policy\s+"accept-new"\s+project \(arxfile\.json\)\s+where the project is synced to/);
  });

  it('looser safety settings are ignored: a mass deletion still halts, backups are still kept and none is purged', () => {
    const files = Array.from({ length: 10 }, (_, i) => `symbols/s${i}.json`);
    const t = synced(files);
    // An older backup set on a: b's edit replaces a's version.
    write(t.b, 'symbols/s0.json', '{"edited":"by b"}');
    expect(t.sync('b').code).toBe(0);
    expect(t.sync('a').code).toBe(0);
    const olderSets = readdirSync(join(t.a, '.arx/backups'));
    expect(olderSets).toHaveLength(1);

    plantArxfile(t, (f) => (f.sync = { ...f.sync, auto_backup: false, max_delete_percent: 100, backup_retention_days: 0.000000001 }));
    expect(t.sync('a').code).toBe(0);
    for (const f of files.slice(1)) rmSync(join(t.remote, f));
    const halted = t.syncJson('a');
    expect(halted.code).toBe(7);
    expect(halted.status.errors[0].code).toBe('SAFETY_TOO_MANY_DELETES');
    const warnings = halted.status.warnings.join('\n');
    expect(warnings).toContain('arxfile.json: sync.max_delete_percent is ignored: 100 is looser than this machine\'s 50 (default): a project file may only lower it');
    expect(warnings).toContain('arxfile.json: sync.auto_backup is ignored: false is looser than this machine\'s true (default)');
    expect(warnings).toContain('arxfile.json: sync.backup_retention_days is ignored');
    expect(existsSync(join(t.a, 'symbols/s5.json'))).toBe(true);

    // The user decides to go on: every deleted file is kept first, and the older set survives.
    const forced = t.syncJson('a', '--force');
    expect(forced.code).toBe(0);
    expect(forced.status.files_deleted).toBe(9);
    expect(forced.status.backups).toHaveLength(9);
    for (const f of files.slice(1)) expect(existsSync(join(t.a, `.arx/backups/${forced.status.sync_id}/${f}`))).toBe(true);
    expect(readdirSync(join(t.a, '.arx/backups'))).toEqual(expect.arrayContaining(olderSets));
  });

  it('a stricter safety setting from arxfile.json applies, and config show says where it came from', () => {
    const t = synced();
    plantArxfile(t, (f) => (f.sync = { ...f.sync, max_delete_percent: 10, auto_backup: true, backup_retention_days: 0 }));
    expect(t.sync('a').code).toBe(0);
    t.setGlobal('a', (cfg) => (cfg.sync = { auto_backup: false, backup_retention_days: 7 }));
    const shown = JSON.parse(t.run('a', 'config', 'show', '--json').stdout);
    expect(shown.config.sync).toMatchObject({ max_delete_percent: 10, auto_backup: true, backup_retention_days: 0 });
    expect(shown.sources['sync.max_delete_percent']).toBe('project (arxfile.json)');
    expect(shown.sources['sync.auto_backup']).toBe('project (arxfile.json)');
    expect(shown.sources['sync.backup_retention_days']).toBe('project (arxfile.json)');
    expect(shown.ignored).toEqual([]);
  });
});

describe('command chains need the local user\'s approval', () => {
  const chain = (command: string, required: boolean) => ({ pre_sync: [{ name: 'pwn', command, timeout: 30, required }] });

  it('an arriving chain does not run; a required one stops the sync before anything changes (exit 8)', () => {
    const t = synced();
    const marker = join(t.a, 'PWNED');
    plantArxfile(t, (f) => (f.commands = chain(`touch '${marker}'`, false)));
    expect(t.sync('a').code).toBe(0);
    const skipped = t.syncJson('a');
    expect(skipped.code).toBe(0);
    expect(existsSync(marker)).toBe(false);
    expect(skipped.status.commands).toEqual([]);
    expect(skipped.status.commands_skipped).toEqual([{ name: 'pwn', phase: 'pre_sync', command: `touch '${marker}'`, required: false, reason: 'not-approved' }]);
    expect(skipped.status.warnings.join('\n')).toContain('command chains not approved on this machine were skipped: the pre_sync chain is new (pwn)');

    // Required now: once it has arrived, nothing runs and nothing moves.
    plantArxfile(t, (f) => (f.commands = chain(`touch '${marker}'`, true)));
    expect(t.sync('a').code).toBe(0); // brings it in (the chain in force here was the skipped one)
    const dry = t.syncJson('a', '--dry-run');
    expect(dry.code).toBe(8);
    expect(dry.status.planned_commands).toEqual([expect.objectContaining({ name: 'pwn', approved: false })]);
    write(t.remote, 'symbols/new.json', '{"n":1}');
    const blocked = t.run('a', 'sync', '--json');
    expect(blocked.code).toBe(8);
    expect(existsSync(join(t.a, 'symbols/new.json'))).toBe(false);
    const status = JSON.parse(blocked.stdout);
    expect(status.status).toBe('failed');
    expect(status.errors[0]).toMatchObject({ type: 'untrusted', code: 'CHAINS_NOT_APPROVED' });
    expect(status.errors[0].message).toContain('the pre_sync chain is new (pwn)');
    expect(status.errors[0].message).toContain('`arx trust`');
    expect(existsSync(marker)).toBe(false);
  });

  it('arx trust shows the difference, approves exactly that, and --revoke withdraws it', () => {
    const t = synced();
    const marker = join(t.home, 'ran');
    plantArxfile(t, (f) => (f.commands = chain(`echo one >> '${marker}'`, true)));
    expect(t.sync('a').code).toBe(0);
    write(t.remote, 'symbols/held.json', '{"h":1}');
    expect(t.sync('a').code).toBe(8);
    expect(existsSync(join(t.a, 'symbols/held.json'))).toBe(false);

    const check = t.run('a', 'trust', '--check');
    expect(check.code).toBe(8);
    expect(check.stdout).toContain('pre_sync: NOT APPROVED (new)');
    expect(check.stdout).toContain(`+ pwn: echo one >> '${marker}' (required, timeout 30 s)`);
    expect(check.stderr).toContain('run `arx trust` to approve it');

    const approve = t.run('a', 'trust');
    expect(approve.code, approve.stderr).toBe(0);
    expect(approve.stdout).toContain('approved the pre_sync chain for this folder');
    expect(t.run('a', 'trust', '--check').code).toBe(0);
    expect(t.sync('a').code).toBe(0);
    expect(readFileSync(marker, 'utf8')).toBe('one\n');
    expect(read(t.a, 'symbols/held.json')).toBe('{"h":1}');

    // Any change needs a new approval.
    plantArxfile(t, (f) => (f.commands = chain(`echo two >> '${marker}'`, true)));
    expect(t.sync('a').code).toBe(0); // runs the approved "one" once more, then brings the change
    expect(t.sync('a').code).toBe(8);
    const changed = t.run('a', 'trust', '--check');
    expect(changed.stdout).toContain('pre_sync: NOT APPROVED (changed since it was approved)');
    expect(changed.stdout).toContain(`~ pwn: echo two >> '${marker}'`);
    expect(changed.stdout).toContain(`was pwn: echo one >> '${marker}'`);
    expect(readFileSync(marker, 'utf8')).toBe('one\none\n');

    expect(t.run('a', 'trust').code).toBe(0);
    const revoke = t.run('a', 'trust', '--revoke');
    expect(revoke.code).toBe(0);
    expect(revoke.stdout).toContain('withdrew the approval');
    expect(t.sync('a').code).toBe(8);
    expect(readFileSync(marker, 'utf8')).toBe('one\none\n');
  });

  it('approval belongs to one folder, lives outside the project, and a local edit needs it too', () => {
    const t = synced();
    write(t.a, 'arxfile.json', JSON.stringify({ ...JSON.parse(read(t.a, 'arxfile.json')), commands: chain('true', true) }));
    expect(t.sync('a').code).toBe(8);
    expect(t.trust('a').code).toBe(0);
    expect(t.sync('a').code).toBe(0);
    const store = join(t.home, '.local/state/arx/trust.json');
    expect(statSync(store).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(store, 'utf8')).approvals).toEqual([expect.objectContaining({ project_id: 'p1', chains: { pre_sync: expect.objectContaining({ sha256: expect.stringMatching(/^[0-9a-f]{64}$/) }) } })]);
    // A copy of the project (its .arx included) in another folder is not approved.
    const copy = join(tempDir(), 'copy');
    cpSync(t.a, copy, { recursive: true });
    const r = arx(['sync', '--quiet'], { cwd: copy, env: t.envOf('a') });
    expect(r.code).toBe(8);
    // The other replica got the same chain by sync: it is not approved there either.
    expect(t.sync('b').code).toBe(0);
    expect(t.sync('b').code).toBe(8);
  });

  it('chain commands never see the secrets arx holds', () => {
    const t = synced();
    const dump = join(t.home, 'env.txt');
    write(t.a, '.env', 'ARX_REMOTE_PASSWORD=from-dotenv-7731\nARX_REMOTE_KEY_PASSPHRASE=phrase-from-dotenv-5512\n');
    write(t.a, 'arxfile.json', JSON.stringify({ ...JSON.parse(read(t.a, 'arxfile.json')), commands: chain(`env > '${dump}'`, true) }));
    expect(t.trust('a').code).toBe(0);
    const env = { ...t.envOf('a'), ARX_REMOTE_PASSWORD: 'from-env-9941', ARX_REMOTE_KEY_PASSPHRASE: 'phrase-from-env-2203', ARX_SMTP_PASSWORD: 'smtp-4471', ARX_API_TOKEN: 'token-8812', ARX_WEBHOOK_SECRET: 'whsec-3390' };
    const r = arx(['sync', '--quiet'], { cwd: t.a, env });
    expect(r.code, r.stderr).toBe(0);
    const seen = readFileSync(dump, 'utf8');
    expect(seen).toContain('ARX_PHASE=pre_sync');
    for (const secret of ['from-dotenv-7731', 'phrase-from-dotenv-5512', 'from-env-9941', 'phrase-from-env-2203', 'smtp-4471', 'token-8812', 'whsec-3390']) expect(seen).not.toContain(secret);
    expect(seen).not.toMatch(/ARX_(REMOTE_PASSWORD|REMOTE_KEY_PASSPHRASE|SMTP_PASSWORD|API_TOKEN|WEBHOOK_SECRET)=/);
  });
});
