/**
 * Only arx's own temporaries are cleaned up: a name in arx's exact temporary
 * format left by an interrupted write goes, any other `.arx-tmp-*` name is a
 * file like any other, synced and never deleted. On both sides, with the
 * local remote and over SFTP.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { read, twoSided, write, type RemoteKind } from '../helpers/cli.js';
import { describeOverSftp } from '../helpers/sshd.js';

function userNamesSyncAndLeftoversGo(remoteKind: RemoteKind, id: string): void {
  const t = twoSided(id, {}, remoteKind);
  write(t.a, 'rules/keep.json', '{}');
  expect(t.sync('a').code).toBe(0);
  // The user's own files whose names merely start like a temporary's.
  write(t.a, 'symbols/.arx-tmp-notes.txt', 'my notes');
  write(t.a, '.arx-tmp-', 'just the prefix');
  write(t.a, 'rules/.arx-tmp-a-b-c-d', 'one part too many');
  write(t.remote, 'reports/.arx-tmp-Draft-1-2.json', '{"draft":true}');
  // Real leftovers: one of this project's in the project folder, another writer's hour-old one on the remote.
  write(t.a, 'symbols/.arx-tmp-abc-0-deadbeef', 'half a file');
  const old = `.arx-tmp-other-${(Date.now() - 2 * 3600_000).toString(36)}-zz9`;
  write(t.remote, `rules/${old}`, 'half a file');

  const first = t.syncJson('a');
  expect(first.code, JSON.stringify(first.status.errors)).toBe(0);
  expect(existsSync(join(t.a, 'symbols/.arx-tmp-abc-0-deadbeef'))).toBe(false);
  expect(existsSync(join(t.remote, `rules/${old}`))).toBe(false);
  for (const [p, text] of [
    ['symbols/.arx-tmp-notes.txt', 'my notes'],
    ['.arx-tmp-', 'just the prefix'],
    ['rules/.arx-tmp-a-b-c-d', 'one part too many'],
    ['reports/.arx-tmp-Draft-1-2.json', '{"draft":true}'],
  ]) {
    expect(read(t.a, p!), p).toBe(text);
    expect(read(t.remote, p!), p).toBe(text);
  }
  expect(t.syncJson('b').code).toBe(0);
  expect(read(t.b, 'symbols/.arx-tmp-notes.txt')).toBe('my notes');
  // Synced again and again, they stay.
  for (const side of ['a', 'b'] as const) expect(t.syncJson(side).status.files_synced).toBe(0);
  expect(read(t.a, 'symbols/.arx-tmp-notes.txt')).toBe('my notes');
  expect(read(t.remote, 'reports/.arx-tmp-Draft-1-2.json')).toBe('{"draft":true}');
}

describe('names that look like temporaries', () => {
  it('with the local remote: the user\'s own .arx-tmp-* files sync and stay, real leftovers are removed', () => {
    userNamesSyncAndLeftoversGo({ kind: 'local' }, 'tmp-local');
  });
});

describeOverSftp('names that look like temporaries, over SFTP', (kind) => {
  it('the user\'s own .arx-tmp-* files sync and stay, real leftovers are removed', () => {
    userNamesSyncAndLeftoversGo(kind(), 'tmp-sftp');
  });
});
