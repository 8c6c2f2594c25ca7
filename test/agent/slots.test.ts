import { describe, expect, it } from 'vitest';
import { SyncSlots } from '../../src/agent/slots.js';
import type { Timers } from '../../src/agent/runner.js';

/** Timers fired by hand. */
function manualTimers() {
  const pending = new Map<number, () => void>();
  let n = 0;
  const timers: Timers = {
    now: () => 0,
    set: (fn) => {
      pending.set(++n, fn);
      return n;
    },
    clear: (h) => void pending.delete(h as number),
  };
  return { timers, fireAll: () => [...pending.entries()].forEach(([k, fn]) => (pending.delete(k), fn())) };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('sync slots', () => {
  it('run at most the limit at once; a release lets the next in, in order', async () => {
    const { timers } = manualTimers();
    const slots = new SyncSlots(2, 30_000, timers);
    const order: string[] = [];
    const ac = new AbortController();
    const take = (name: string) => slots.acquire(ac.signal).then((release) => (order.push(name), release));
    const a = await take('a');
    await take('b');
    const c = take('c');
    const d = take('d');
    await tick();
    expect(order).toEqual(['a', 'b']);
    expect(slots.queued).toBe(2);
    a();
    a(); // twice is once
    await c;
    await tick();
    expect(order).toEqual(['a', 'b', 'c']);
    expect(slots.running).toBe(2);
    expect(slots.queued).toBe(1);
    void d;
  });

  it('a slow sync gives its slot up, so a hung project does not hold the others', async () => {
    const { timers, fireAll } = manualTimers();
    const slots = new SyncSlots(1, 30_000, timers);
    const ac = new AbortController();
    await slots.acquire(ac.signal);
    let second = false;
    void slots.acquire(ac.signal).then(() => (second = true));
    await tick();
    expect(second).toBe(false);
    fireAll();
    await tick();
    expect(second).toBe(true);
  });

  it('a waiter whose sync is cancelled leaves the queue without a slot', async () => {
    const { timers } = manualTimers();
    const slots = new SyncSlots(1, 30_000, timers);
    const first = await slots.acquire(new AbortController().signal);
    const ac = new AbortController();
    const waiting = slots.acquire(ac.signal);
    ac.abort();
    (await waiting)();
    expect(slots.queued).toBe(0);
    expect(slots.running).toBe(1);
    first();
    expect(slots.running).toBe(0);
  });
});
