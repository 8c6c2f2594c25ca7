/**
 * Schemas of the configuration files. Objects are strict so unknown keys are
 * reported (as warnings, see validate.ts); every field is optional in a layer
 * because layers are merged before defaults apply.
 */
import * as z from 'zod';
import { POLICIES, type Policy } from '../core/conflict.js';

/** Control characters (NUL included): never part of a path, a host, a user name or a pattern. */
const CONTROL = /[\u0000-\u001f\u007f]/;

export function hasControlCharacter(s: string): boolean {
  return CONTROL.test(s);
}

/** A setting that names a path (or a host, a user, a pattern): no control characters. */
const withoutControl = () => z.string().refine((s) => !CONTROL.test(s), 'must not contain control characters (such as NUL, a tab or a line break)');

/** The same, not empty. */
const plainText = () => withoutControl().min(1);

const SIZE_UNITS: Record<string, number> = {
  b: 1, k: 1e3, kb: 1e3, m: 1e6, mb: 1e6, g: 1e9, gb: 1e9, t: 1e12, tb: 1e12,
  kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3, tib: 1024 ** 4,
};

/** Parse "500MB", "1.5 GiB", "1024" into bytes; undefined when malformed. */
export function parseSize(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(text);
  if (!m) return undefined;
  const unit = SIZE_UNITS[(m[2] || 'b').toLowerCase()];
  if (unit === undefined) return undefined;
  return Math.floor(Number(m[1]) * unit);
}

const sizeSchema = z.union([
  z.number().int().nonnegative(),
  z.string().refine((s) => parseSize(s) !== undefined, {
    message: 'expected a size in bytes, e.g. 104857600 or "100MB"',
  }),
]);

export const CONFLICT_POLICIES = ['manual', 'auto'] as const;
export const REMOTE_TYPES = ['local', 'sftp'] as const;

/** A command name becomes part of a log file name: keep it plain. */
export const COMMAND_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

const commandSchema = z.strictObject({
  name: z.string().regex(COMMAND_NAME, 'expected a name of letters, digits, "_", "." or "-" (at most 64, e.g. "validate_symbols")'),
  command: z
    .string()
    .trim()
    .min(1, 'expected the shell command to run, e.g. "arx validate-symbols"')
    .refine((c) => !c.includes('\u0000'), 'must not contain a NUL character'),
  /** Seconds. */
  timeout: z.number().positive().max(86_400).optional(),
  required: z.boolean().optional(),
});

const commandsSchema = z
  .strictObject({
    pre_sync: z.array(commandSchema).optional(),
    post_sync: z.array(commandSchema).optional(),
  })
  .superRefine((chains, ctx) => {
    // Each name names its log file (.arx/logs/commands/<sync_id>-<name>.log): one per sync.
    const seen = new Map<string, string>();
    for (const phase of ['pre_sync', 'post_sync'] as const) {
      (chains[phase] ?? []).forEach((c, i) => {
        const first = seen.get(c.name);
        if (first !== undefined) {
          ctx.addIssue({ code: 'custom', path: [phase, i, 'name'], message: `"${c.name}" is already the name of ${first}; each command needs its own name` });
        } else seen.set(c.name, `commands.${phase}[${i}]`);
      });
    }
  });

const webhookSchema = z.string().refine((u) => URL.canParse(u) && /^https?:$/.test(new URL(u).protocol), {
  message: 'expected an http:// or https:// URL',
});

/** A named way to reach people: a webhook, an email address, or both. */
const channelSchema = z.strictObject({
  webhook: webhookSchema.optional(),
  email: z.string().min(1).optional(),
});

const remoteSchema = z.strictObject({
  type: z.enum(REMOTE_TYPES).optional(),
  path: plainText().optional(),
  host: plainText().optional(),
  port: z.number().int().min(1).max(65535).optional(),
  username: plainText().optional(),
  key_file: plainText().optional(),
  known_hosts: plainText().optional(),
  host_key_policy: z.enum(['strict', 'accept-new']).optional(),
  retries: z.number().int().min(0).max(50).optional(),
  retry_base_ms: z.number().int().min(1).optional(),
  /** Seconds a sync's remote lock lasts without a renewal (see remote/lock.ts). */
  lock_lease: z.number().min(2).max(3600).optional(),
});

const syncSchema = z.strictObject({
  enabled: z.boolean().optional(),
  /** Seconds between the agent's syncs of this project; 0: no timer (changes and requests only). */
  interval: z.number().int().nonnegative().max(31_536_000).optional(),
  conflict_resolution: z.enum(CONFLICT_POLICIES).optional(),
  auto_backup: z.boolean().optional(),
  remote_path: plainText()
    .refine((p) => !p.split(/[\\/]+/).includes('..'), 'must not contain ".." (it is a folder inside the remote)')
    .optional(),
  include_patterns: z.array(withoutControl()).optional(),
  exclude_patterns: z.array(withoutControl()).optional(),
  parallel: z.number().int().min(1).max(64).optional(),
  max_file_size: sizeSchema.optional(),
  max_delete_percent: z.number().min(0).max(100).optional(),
  conflict_rules: z
    .array(
      z.strictObject({
        pattern: plainText(),
        policy: z.enum(POLICIES as [Policy, ...Policy[]]),
      }),
    )
    .optional(),
  backup_retention_days: z.number().min(0).optional(),
  /** Seconds a sync waits for the remote lock held by another; 0 fails at once. */
  lock_wait: z.number().min(0).max(3600).optional(),
});

const notificationsSchema = z.strictObject({
  email: z.string().min(1).optional(),
  webhook: webhookSchema.optional(),
  channels: z.record(z.string().regex(COMMAND_NAME, 'expected a channel name of letters, digits, "_", "." or "-"'), channelSchema).optional(),
  /** Seconds a webhook may take to answer. */
  timeout: z.number().positive().max(600).optional(),
  /** The mail server for `email`; its password only from ARX_SMTP_PASSWORD. */
  smtp: z
    .strictObject({
      host: plainText(),
      port: z.number().int().min(1).max(65535).optional(),
      /** TLS from the first byte (port 465); otherwise STARTTLS when the server offers it. */
      secure: z.boolean().optional(),
      from: plainText().optional(),
      username: plainText().optional(),
    })
    .optional(),
  /** The outcomes that send an e-mail after a sync. */
  email_on: z.array(z.enum(['success', 'failure', 'conflict', 'cancelled'])).optional(),
});

/** `host:port` (an IPv6 host in brackets); port 0 picks a free one. */
export const LISTEN = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;

/** The agent (`arx agent`): set only in the global file. */
const agentSchema = z.strictObject({
  listen: z
    .string()
    .regex(LISTEN, 'expected host:port, e.g. "127.0.0.1:7461"')
    .refine((l) => Number(LISTEN.exec(l)?.[1]) <= 65535, 'the port must be from 0 to 65535')
    .optional(),
  projects: z.array(plainText()).optional(),
  watch: z.boolean().optional(),
  debounce_ms: z.number().int().min(0).max(600_000).optional(),
  /** Syncs at once across the projects (a sync running longer than 30 s no longer counts). */
  max_concurrent_syncs: z.number().int().min(1).max(64).optional(),
  /** Seconds one sync may take before it is stopped (and counted as failed). */
  sync_timeout: z.number().positive().max(7 * 86_400).optional(),
  /** Certificate and key (PEM files) for HTTPS; needed to listen beyond loopback without a warning. */
  tls: z.strictObject({ cert: plainText(), key: plainText() }).optional(),
  /** Host names (without port) the API answers to besides the listen host and loopback names. */
  allowed_hosts: z.array(plainText()).optional(),
});

export const globalConfigSchema = z.strictObject({
  sync: syncSchema.optional(),
  remote: remoteSchema.optional(),
  notifications: notificationsSchema.optional(),
  agent: agentSchema.optional(),
});

export type AgentSettingsInput = z.infer<typeof agentSchema>;

/** What the environment may set: the global shape plus the secrets that only it may hold. */
export const envLayerSchema = globalConfigSchema.extend({
  remote: remoteSchema.extend({ password: z.string().optional(), key_passphrase: z.string().optional() }).optional(),
});

export const projectConfigSchema = z.strictObject({
  project_id: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'expected letters, digits, ".", "_" or "-" (no slashes)'),
  name: z.string().optional(),
  description: z.string().optional(),
  version: z.string().optional(),
  permissions: z
    .strictObject({
      owner: z.string().optional(),
      editors: z.array(z.string()).optional(),
      viewers: z.array(z.string()).optional(),
    })
    .optional(),
  sync: syncSchema.optional(),
  remote: remoteSchema.optional(),
  commands: commandsSchema.optional(),
  notifications: notificationsSchema.optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
  /** Local-only (see key-policy.ts): recognised so that it is ignored with its reason. */
  agent: z.unknown().optional(),
});

export type GlobalConfigFile = z.infer<typeof globalConfigSchema>;
export type ProjectConfigFile = z.infer<typeof projectConfigSchema>;
export type CommandSpec = z.infer<typeof commandSchema>;
export type ConflictPolicy = (typeof CONFLICT_POLICIES)[number];
export type RemoteType = (typeof REMOTE_TYPES)[number];
