/**
 * Run `fn` over items with at most `lanes` at once. Each lane takes the next
 * item when it finishes one, so no promise or closure exists per waiting
 * item (a project can queue a hundred thousand files).
 */
export async function inLanes<T>(items: Iterable<T>, lanes: number, fn: (item: T) => Promise<void>, stop?: () => boolean): Promise<void> {
  const it = items[Symbol.iterator]();
  const lane = async (): Promise<void> => {
    while (!(stop?.() ?? false)) {
      const next = it.next();
      if (next.done) return;
      await fn(next.value);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, lanes) }, lane));
}
