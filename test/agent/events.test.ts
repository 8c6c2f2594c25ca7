import { describe, expect, it } from 'vitest';
import { EventLog } from '../../src/agent/events.js';

describe('agent event log', () => {
  it('numbers events 1, 2, ... and replays those after a given id', () => {
    const log = new EventLog(() => new Date('2026-01-01T00:00:00Z'));
    log.publish('sync_started', { sync_id: 'sync_20260101_000000' });
    log.publish('progress', { files_done: 1 });
    log.publish('sync_complete', { status: 'completed' });
    expect(log.newestId).toBe(3);
    const after1 = log.since(1);
    expect(after1.dropped).toBe(false);
    expect(after1.events.map((e) => [e.id, e.type])).toEqual([
      [2, 'progress'],
      [3, 'sync_complete'],
    ]);
    expect(after1.events[0]!.time).toBe('2026-01-01T00:00:00.000Z');
    expect(log.since(3).events).toEqual([]);
  });

  it('says when a client asks for events that are no longer kept', () => {
    const log = new EventLog();
    for (let i = 0; i < 1500; i++) log.publish('progress', { i });
    const r = log.since(10);
    expect(r.dropped).toBe(true);
    expect(r.events[0]!.id).toBe(501);
    expect(r.events).toHaveLength(1000);
    expect(log.since(600).dropped).toBe(false);
  });

  it('tells subscribers of each new event until they unsubscribe', () => {
    const log = new EventLog();
    const seen: number[] = [];
    const stop = log.subscribe((e) => seen.push(e.id));
    log.publish('conflict', {});
    stop();
    log.publish('error', {});
    expect(seen).toEqual([1]);
  });
});
