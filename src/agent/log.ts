/**
 * The agent's log: JSON lines (pino) in its state folder, rotated by size
 * (agent.log, then agent.log.1 ... agent.log.5). One line per sync start, end,
 * error, retry and notification. Every text passes through the redaction that
 * masks secrets (tokens, passwords, webhook URLs' credentials).
 */
import { pino, type Logger } from 'pino';
import { createStream } from 'rotating-file-stream';
import { basename, dirname } from 'node:path';
import { redactText } from '../util/redact.js';

export const LOG_ROTATE_SIZE = '10M';
export const LOG_KEEP = 5;

export type LogFields = Record<string, string | number | boolean | null | undefined>;

export interface AgentLog {
  info(event: string, msg: string, fields?: LogFields): void;
  warn(event: string, msg: string, fields?: LogFields): void;
  error(event: string, msg: string, fields?: LogFields): void;
  /** Writes what is buffered; the log is unusable after. */
  close(): Promise<void>;
}

function clean(fields: LogFields | undefined): LogFields {
  const out: LogFields = {};
  for (const [k, v] of Object.entries(fields ?? {})) out[k] = typeof v === 'string' ? redactText(v) : v;
  return out;
}

/** `echo`: also to this stream (the foreground agent's stderr). */
export function openAgentLog(file: string, echo?: NodeJS.WritableStream): AgentLog {
  const rotating = createStream(basename(file), { path: dirname(file), size: LOG_ROTATE_SIZE, rotate: LOG_KEEP, mode: 0o600 });
  rotating.on('error', () => undefined);
  const streams: pino.StreamEntry[] = [{ stream: rotating }];
  if (echo) streams.push({ stream: echo });
  const logger: Logger = pino({ base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime, formatters: { level: (label) => ({ level: label }) } }, pino.multistream(streams));
  const put = (level: 'info' | 'warn' | 'error') => (event: string, msg: string, fields?: LogFields) => logger[level]({ event, ...clean(fields) }, redactText(msg));
  return {
    info: put('info'),
    warn: put('warn'),
    error: put('error'),
    close: () =>
      new Promise<void>((resolve) => {
        logger.flush(() => {
          rotating.end(() => resolve());
        });
      }),
  };
}

/** A log that keeps lines in memory (tests of the agent's core). */
export function memoryLog(): AgentLog & { lines: { level: string; event: string; msg: string; fields: LogFields }[] } {
  const lines: { level: string; event: string; msg: string; fields: LogFields }[] = [];
  const put = (level: string) => (event: string, msg: string, fields?: LogFields) => void lines.push({ level, event, msg: redactText(msg), fields: clean(fields) });
  return { lines, info: put('info'), warn: put('warn'), error: put('error'), close: async () => undefined };
}
