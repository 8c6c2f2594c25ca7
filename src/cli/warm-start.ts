/**
 * The CLI entry's first import: starts the walk workers of `arx sync` while
 * the rest of the program loads (see src/scan/warm-walkers.ts). The only
 * module with an effect at import time; the engine's modules have none.
 */
import { startWarmWalkers } from '../scan/warm-walkers.js';

startWarmWalkers(process.argv.slice(2));
