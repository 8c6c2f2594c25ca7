/**
 * How many syncs of the agent run at once: a burst (the first syncs at
 * start, a change touching many projects) runs a few at a time, so memory
 * and disks are not shared by twenty. A sync that takes long gives its slot
 * up after `releaseAfterMs`: a slow or hung project never holds the others
 * back for longer than that.
 */
import type { Timers } from './runner.js';

export class SyncSlots {
  private used = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly limit: number,
    private readonly releaseAfterMs: number,
    private readonly timers: Timers,
  ) {}

  get running(): number {
    return this.used;
  }

  get queued(): number {
    return this.waiting.length;
  }

  /** Resolves with the slot's release when one is free, or at once (without a slot) when the signal aborts. */
  async acquire(signal: AbortSignal): Promise<() => void> {
    if (this.used < this.limit) this.used++;
    else {
      const got = await new Promise<boolean>((resolve) => {
        const grant = () => {
          signal.removeEventListener('abort', abandon);
          resolve(true);
        };
        const abandon = () => {
          const i = this.waiting.indexOf(grant);
          if (i >= 0) this.waiting.splice(i, 1);
          resolve(false);
        };
        if (signal.aborted) return resolve(false);
        this.waiting.push(grant);
        signal.addEventListener('abort', abandon, { once: true });
      });
      if (!got) return () => undefined;
    }
    let released = false;
    const timer = this.timers.set(() => release(), this.releaseAfterMs);
    const release = (): void => {
      if (released) return;
      released = true;
      this.timers.clear(timer);
      // The slot passes to the next waiter as it is (used stays), or is freed.
      const next = this.waiting.shift();
      if (next) next();
      else this.used--;
    };
    return release;
  }
}
