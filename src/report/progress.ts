/**
 * Progress of a sync on stderr: a bar on a terminal, plain lines otherwise
 * (at most one per second while transferring), nothing with --quiet.
 */
import { createRequire } from 'node:module';
import type cliProgressModule from 'cli-progress';
import type { SyncEvent } from '../engine/sync.js';
import { showPath, showText } from '../util/path-bytes.js';
import { redactText } from '../util/redact.js';
import { formatBytes } from './format.js';

/** cli-progress (and the readline it needs) is loaded only when a bar is drawn: most runs print lines or nothing. */
let cliProgress: typeof cliProgressModule | undefined;
function progressBars(): typeof cliProgressModule {
  return (cliProgress ??= createRequire(import.meta.url)('cli-progress') as typeof cliProgressModule);
}

export type ProgressMode = 'bar' | 'lines' | 'off';

export interface ProgressReporter {
  onEvent(e: SyncEvent): void;
  /** A one-off message (e.g. a retry notice). */
  note(message: string): void;
  stop(): void;
}

export function chooseMode(opts: { quiet?: boolean; stderrIsTTY: boolean }): ProgressMode {
  if (opts.quiet) return 'off';
  return opts.stderrIsTTY ? 'bar' : 'lines';
}

export function createProgress(mode: ProgressMode, out: NodeJS.WritableStream, verbose = false): ProgressReporter {
  let total = 0;
  let totalBytes = 0;
  let done = 0;
  let bytes = 0;
  let current = '';
  let lastLine = 0;
  let bar: cliProgressModule.SingleBar | undefined;

  // While the bar is drawn, messages wait below it until it is done.
  const held: string[] = [];
  // Messages carry error texts (a retry's cause, say): masked like every error.
  const line = (raw: string): void => {
    const text = redactText(raw);
    if (bar) held.push(text);
    else out.write(`arx: ${text}\n`);
  };
  const stopBar = (): void => {
    bar?.stop();
    bar = undefined;
    for (const text of held.splice(0)) out.write(`arx: ${text}\n`);
  };
  const pct = (): number => (totalBytes > 0 ? Math.floor((bytes / totalBytes) * 100) : total > 0 ? Math.floor((done / total) * 100) : 100);
  const render = (force: boolean): void => {
    if (mode === 'bar') {
      bar?.update(done, { bytes: formatBytes(bytes), totalBytes: formatBytes(totalBytes), pct: pct(), file: current });
    } else if (mode === 'lines') {
      const now = Date.now();
      if (!force && now - lastLine < 1000) return;
      lastLine = now;
      out.write(`arx: ${done}/${total} changes, ${formatBytes(bytes)} of ${formatBytes(totalBytes)} (${pct()}%)\n`);
    }
  };

  return {
    onEvent(e) {
      if (mode === 'off') return;
      switch (e.type) {
        case 'phase':
          if (e.phase === 'finish') {
            if (total > 0) render(true);
            stopBar();
          } else if (e.phase !== 'transfer') line(e.message);
          return;
        case 'plan':
          total = e.files;
          totalBytes = e.bytes;
          if (total === 0) return;
          if (mode === 'bar') {
            const bars = progressBars();
            bar = new bars.SingleBar(
              { stream: out, format: '{bar} {pct}% | {value}/{total} changes | {bytes}/{totalBytes} | {file}', hideCursor: true, clearOnComplete: false },
              bars.Presets.shades_classic,
            );
            bar.start(total, 0, { bytes: formatBytes(0), totalBytes: formatBytes(totalBytes), pct: 0, file: '' });
          } else line(`${total} changes to apply (${formatBytes(totalBytes)})`);
          return;
        case 'start':
          current = showPath(e.action.path);
          if (verbose && mode === 'lines') out.write(`arx: ${redactText(`${describe(e.action)} ${showPath(e.action.path)}`)}\n`);
          return;
        case 'progress':
          bytes += e.bytes;
          render(false);
          return;
        case 'done':
          done++;
          render(false);
          return;
        case 'note':
          line(e.message);
          return;
        case 'command':
          // post_sync comes after the transfer: close its progress first.
          if (total > 0) {
            render(true);
            stopBar();
            total = 0;
          }
          line(`${e.phase} ${e.index + 1}/${e.count}: running ${e.name} (${e.command})`);
          return;
        case 'skipped':
          done++;
          if (verbose) line(`skipped ${showPath(e.action.path)}: ${showText(e.message)}`);
          return;
        case 'failed':
          done++;
          line(`failed ${showPath(e.action.path)}: ${showText(e.error.message)}`);
          return;
      }
    },
    note(message) {
      if (mode !== 'off') line(message);
    },
    stop() {
      stopBar();
    },
  };
}

function describe(a: { type: string; to?: string }): string {
  if (a.type === 'copy') return a.to === 'remote' ? 'upload' : 'download';
  return `${a.type}${a.to ? `-${a.to}` : ''}`;
}
