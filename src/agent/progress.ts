/** A running sync's progress, from its events (what GET /api/v1/syncs/{id} shows while it runs). */
import type { SyncEvent } from '../engine/sync.js';
import { showPath } from '../util/path-bytes.js';
import type { SyncProgress, TransferTally } from './model.js';

export class ProgressTracker {
  private filesTotal = 0;
  private bytesTotal = 0;
  private filesDone = 0;
  private bytesDone = 0;
  private current: string | null = null;
  readonly tally: TransferTally = { bytesUp: 0, bytesDown: 0 };

  onEvent(e: SyncEvent): void {
    switch (e.type) {
      case 'plan':
        // post_sync's plan never comes: one plan per sync.
        this.filesTotal = e.files;
        this.bytesTotal = e.bytes;
        return;
      case 'start':
        this.current = showPath(e.action.path);
        return;
      case 'progress':
        this.bytesDone += e.bytes;
        if (e.action.to === 'remote') this.tally.bytesUp += e.bytes;
        else if (e.action.to === 'local') this.tally.bytesDown += e.bytes;
        return;
      case 'done':
      case 'skipped':
      case 'failed':
        this.filesDone++;
        return;
      default:
        return;
    }
  }

  view(): SyncProgress {
    const percentage = this.bytesTotal > 0 ? (this.bytesDone / this.bytesTotal) * 100 : this.filesTotal > 0 ? (this.filesDone / this.filesTotal) * 100 : 0;
    return {
      files_done: this.filesDone,
      files_total: this.filesTotal,
      bytes_done: this.bytesDone,
      bytes_total: this.bytesTotal,
      percentage: Math.min(100, Math.round(percentage * 10) / 10),
      current_file: this.current,
    };
  }
}
