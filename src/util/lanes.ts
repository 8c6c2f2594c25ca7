/**
 * Run `fn` over items with at most `lanes` at once. Each lane takes the next
 * item when it finishes one, so no promise or closure exists per waiting
 * item (a project can queue a hundred thousand files). Lanes yield to the
 * event loop every few milliseconds: work done with synchronous calls must
 * not hold off signals (Ctrl-C), timers and progress output.
 */
const YIELD_EVERY_MS = 20;

/** `fn` also gets its lane's number (0 .. lanes-1), e.g. to reuse a buffer per lane. */
export async function inLanes<T>(items: Iterable<T>, lanes: number, fn: (item: T, lane: number) => Promise<void>, stop?: () => boolean): Promise<void> {
  const it = items[Symbol.iterator]();
  let lastYield = Date.now();
  const lane = async (_: unknown, index: number): Promise<void> => {
    while (!(stop?.() ?? false)) {
      const next = it.next();
      if (next.done) return;
      await fn(next.value, index);
      if (Date.now() - lastYield >= YIELD_EVERY_MS) {
        lastYield = Date.now();
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, lanes) }, lane));
}
