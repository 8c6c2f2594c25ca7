import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { runSync } from '../../src/engine/sync.js';
import { ArxError } from '../../src/errors.js';
import { read, twoSided, write } from '../helpers/cli.js';

describe('a sync id chosen before the sync starts', () => {
  it('is the id the status carries, and cannot be used twice in one project', async () => {
    const t = twoSided('given-id');
    write(t.a, 'symbols/a.json', '{"id":"a"}');
    const cfg = () => loadConfig({ projectDir: t.a, env: t.envOf('a') });
    const status = await runSync(cfg(), { syncId: 'sync_20261204_101500', commands: false });
    expect(status.status).toBe('completed');
    expect(status.sync_id).toBe('sync_20261204_101500');
    expect(read(t.remote, 'symbols/a.json')).toBe('{"id":"a"}');
    const again = runSync(cfg(), { syncId: 'sync_20261204_101500', commands: false });
    await expect(again).rejects.toBeInstanceOf(ArxError);
    await expect(runSync(cfg(), { syncId: 'sync_20261204_101500', commands: false })).rejects.toMatchObject({ code: 'SYNC_ID_TAKEN' });
    await expect(runSync(cfg(), { syncId: '../../etc', commands: false })).rejects.toMatchObject({ code: 'SYNC_ID_TAKEN' });
  });
});
