/**
 * The trust store: the command chains this user approved, per project folder
 * and project_id, in the user's state folder ($XDG_STATE_HOME/arx/trust.json,
 * by default ~/.local/state/arx/trust.json). It is never inside a project, so
 * nothing that travels with a project can approve anything.
 */
import { chmodSync, mkdirSync, realpathSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { z } from 'zod';
import { ConfigError, fsErrorToArx } from '../errors.js';
import { parseJsonText } from '../config/json-file.js';
import { tempName } from '../remote/types.js';
import { readBoundedText } from '../util/bounded-file.js';
import { approvalOf, PHASES, type ApprovedChain, type ChainApproval } from './approval.js';
import type { CommandSpec } from '../config/schema.js';
import type { ChainPhase } from './run-chain.js';

/** The user's state folder for arx (not synced, not in a project). */
export function userStateDir(env: NodeJS.ProcessEnv): string {
  const home = env.HOME && env.HOME !== '' ? env.HOME : homedir();
  const base = env.XDG_STATE_HOME && isAbsolute(env.XDG_STATE_HOME) ? env.XDG_STATE_HOME : join(home, '.local', 'state');
  return join(base, 'arx');
}

export function trustFile(env: NodeJS.ProcessEnv): string {
  return join(userStateDir(env), 'trust.json');
}

const commandSchema = z.object({ name: z.string(), phase: z.enum(['pre_sync', 'post_sync']), command: z.string(), required: z.boolean(), timeout_s: z.number() });
const chainSchema = z.object({ sha256: z.string().regex(/^[0-9a-f]{64}$/), commands: z.array(commandSchema) });
const recordSchema = z.object({
  root: z.string(),
  project_id: z.string(),
  approved_at: z.string(),
  chains: z.object({ pre_sync: chainSchema.optional(), post_sync: chainSchema.optional() }),
});
const fileSchema = z.object({ version: z.literal(1), approvals: z.array(recordSchema) });

export type TrustRecord = z.infer<typeof recordSchema>;
type TrustFile = z.infer<typeof fileSchema>;

/** The key of a project: its real folder (symbolic links resolved) and its id. */
export function projectKey(projectRoot: string, projectId: string): { root: string; project_id: string } {
  let root = projectRoot;
  try {
    root = realpathSync(projectRoot);
  } catch {
    // A folder that cannot be resolved keeps its given path; it then simply matches nothing approved elsewhere.
  }
  return { root, project_id: projectId };
}

/** The most the trust store may hold (many projects' approvals). */
const TRUST_STORE_LIMIT = 16 * 1024 * 1024;

export class TrustStore {
  private constructor(
    readonly file: string,
    private data: TrustFile,
  ) {}

  static open(env: NodeJS.ProcessEnv): TrustStore {
    const file = trustFile(env);
    const text = readBoundedText(file, { label: `the trust store ${file}`, limit: TRUST_STORE_LIMIT, code: 'TRUST_STORE' });
    if (text === undefined) return new TrustStore(file, { version: 1, approvals: [] });
    const parsed = fileSchema.safeParse(parseJsonText(text, file));
    if (!parsed.success) {
      throw new ConfigError(`${file}: the trust store is damaged; remove it (every project's command chains then need \`arx trust\` again)`, 'TRUST_STORE_DAMAGED');
    }
    return new TrustStore(file, parsed.data);
  }

  /** What was approved for this project, per phase. */
  approved(projectRoot: string, projectId: string): Partial<Record<ChainPhase, ApprovedChain>> {
    return this.find(projectKey(projectRoot, projectId))?.chains ?? {};
  }

  /** Approve exactly these chains (as shown to the user). */
  approve(projectRoot: string, projectId: string, approvals: readonly ChainApproval[], now: Date): void {
    const key = projectKey(projectRoot, projectId);
    const chains: TrustRecord['chains'] = {};
    for (const a of approvals) if (a.commands.length > 0) chains[a.phase] = { sha256: a.sha256, commands: a.commands };
    const others = this.data.approvals.filter((r) => !same(r, key));
    this.data = { version: 1, approvals: [...others, { ...key, approved_at: now.toISOString(), chains }] };
    this.save();
  }

  /** Withdraw this project's approval; false when there was none. */
  revoke(projectRoot: string, projectId: string): boolean {
    const key = projectKey(projectRoot, projectId);
    const kept = this.data.approvals.filter((r) => !same(r, key));
    if (kept.length === this.data.approvals.length) return false;
    this.data = { version: 1, approvals: kept };
    this.save();
    return true;
  }

  approvedAt(projectRoot: string, projectId: string): string | undefined {
    return this.find(projectKey(projectRoot, projectId))?.approved_at;
  }

  private find(key: { root: string; project_id: string }): TrustRecord | undefined {
    return this.data.approvals.find((r) => same(r, key));
  }

  /** Whole or not at all, private to the user. */
  private save(): void {
    const dir = dirname(this.file);
    const tmp = join(dir, tempName('trust'));
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      writeFileSync(tmp, JSON.stringify(this.data, null, 2) + '\n', { flag: 'wx', mode: 0o600 });
      chmodSync(tmp, 0o600);
      renameSync(tmp, this.file);
    } catch (err) {
      rmSync(tmp, { force: true });
      throw fsErrorToArx(err, `writing the trust store ${this.file}`, 'local');
    }
  }
}

function same(r: { root: string; project_id: string }, key: { root: string; project_id: string }): boolean {
  return r.root === key.root && r.project_id === key.project_id;
}

/** How each chain of this project stands against what this user approved. */
export function chainApprovals(projectRoot: string, projectId: string, commands: Record<ChainPhase, readonly CommandSpec[]>, env: NodeJS.ProcessEnv): ChainApproval[] {
  // A project without commands never needs the store (nor a readable one).
  const approved = PHASES.some((p) => commands[p].length > 0) ? TrustStore.open(env).approved(projectRoot, projectId) : {};
  return PHASES.map((p) => approvalOf(p, commands[p], approved[p]));
}
