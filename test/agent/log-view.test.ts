import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatLine, readLog } from '../../src/agent/log-view.js';
import { tempDir } from '../helpers/cli.js';

const line = (time: string, level: string, project: string | undefined, msg: string) => JSON.stringify({ level, time, pid: 1, event: 'x', ...(project ? { project } : {}), msg });

describe('the agent log, readably', () => {
  it('reads the rotated files oldest first, then the current one, and filters by project', () => {
    const dir = tempDir('arx-log-');
    const file = join(dir, 'agent.log');
    writeFileSync(`${file}.2`, line('2026-12-04T10:00:00.000Z', 'info', 'a', 'oldest') + '\n');
    writeFileSync(`${file}.1`, line('2026-12-04T11:00:00.000Z', 'error', 'b', 'middle') + '\n');
    writeFileSync(file, line('2026-12-04T12:00:00.000Z', 'warn', undefined, 'newest') + '\nnot json\n');
    expect(readLog(file)).toEqual([
      '2026-12-04T10:00:00.000Z INFO  [a] oldest',
      '2026-12-04T11:00:00.000Z ERROR [b] middle',
      '2026-12-04T12:00:00.000Z WARN  newest',
      'not json',
    ]);
    expect(readLog(file, 'b')).toEqual(['2026-12-04T11:00:00.000Z ERROR [b] middle']);
    expect(formatLine('')).toBeUndefined();
  });
});
