/** How the command line tunes its own process; the engine never does. */

/**
 * Where node runs with --expose-gc (bin/arx starts it so), a forced
 * collection: a sync or `arx resolve` frees a copied file's buffers at once
 * instead of when the heap's limits say so. Absent otherwise.
 */
export function forcedCollection(): (() => void) | undefined {
  return (globalThis as { gc?: () => void }).gc;
}
