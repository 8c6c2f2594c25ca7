/**
 * Open an SSH connection (ssh2) with its SFTP channels: authentication by
 * key file, ssh-agent or password, and host keys checked against
 * known_hosts. Every failure becomes one clear typed error that names the
 * user, host and what to do, and never a secret.
 */
import { createConnection, type Socket } from 'node:net';
import type { Client as SshClient, ConnectConfig, SFTPWrapper } from 'ssh2';
import { ArxError, ConfigError, PermissionDeniedError, errnoCode } from '../../errors.js';
import { readBoundedFile } from '../../util/bounded-file.js';
import { noteCodePath } from '../../util/code-paths.js';
import { addHostKey, checkHostKey, fingerprint, hostName, ignoredLineWarning, revokedMessage } from './known-hosts.js';
import { readNamesAsBytes } from './byte-names.js';

export interface SshOptions {
  host: string;
  port: number;
  username: string;
  /** Private key file (already ~-expanded) and its passphrase. */
  keyFile?: string;
  passphrase?: string;
  password?: string;
  /** ssh-agent socket, used when no key file is given. */
  agent?: string;
  /** known_hosts files to check; new keys are recorded in the first. */
  knownHosts: string[];
  hostKeyPolicy: 'strict' | 'accept-new';
  channels: number;
  readyTimeoutMs: number;
  /** known_hosts lines for this host that were not acted on (unsupported markers). */
  onWarning?: (message: string) => void;
}

interface Ssh2 {
  Client: typeof import('ssh2').Client;
  parseKey: typeof import('ssh2').utils.parseKey;
}
let ssh2Module: Promise<Ssh2> | undefined;
/**
 * ssh2's client and key parser, loaded on first use: commands that never
 * connect start faster without them. (Not ssh2's index, which also loads its
 * server, key generator and HTTP agents, with Node's http, https and tls.)
 */
function loadSsh2(): Promise<Ssh2> {
  noteCodePath('ssh');
  // CommonJS modules: their exports are the default export.
  const exportsOf = <T>(m: T | { default: T }): T => ((m as { default?: T }).default ?? m) as T;
  return (ssh2Module ??= Promise.all([import('ssh2/lib/client.js'), import('ssh2/lib/protocol/keyParser.js')]).then(([client, keys]) => ({
    Client: exportsOf(client),
    parseKey: exportsOf(keys).parseKey,
  })));
}

export interface SshConnection {
  client: SshClient;
  /** The SFTP channels open so far: the first, then the others as they open (see widen). */
  channels: SFTPWrapper[];
  /** The first SFTP channel, opening since the login (a NetworkError when the server refuses one). */
  first: Promise<SFTPWrapper>;
  /** Open the other channels (once); a server that allows fewer sessions just gets fewer. */
  widen(): void;
}

/** A fault in reaching or keeping the server: worth retrying. */
export class NetworkError extends ArxError {
  constructor(message: string, cause?: unknown) {
    super('network', 'NETWORK', message, { retryable: true, cause });
  }
}

function where(o: SshOptions): string {
  return `${o.username}@${o.host}:${o.port}`;
}

function readKey(o: SshOptions, ssh2: Ssh2): Buffer {
  let key: Buffer;
  try {
    const read = readBoundedFile(o.keyFile!, { label: `remote.key_file ${o.keyFile}`, code: 'KEY_FILE' });
    if (read === undefined) throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
    key = read;
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(`remote.key_file: cannot read ${o.keyFile} (${errnoCode(err) ?? String(err)})`, 'KEY_FILE_UNREADABLE');
  }
  const parsed = ssh2.parseKey(key, o.passphrase);
  if (parsed instanceof Error) {
    const encrypted = /encrypted|passphrase/i.test(parsed.message);
    throw encrypted
      ? new PermissionDeniedError(`cannot decrypt the key ${o.keyFile}: ${o.passphrase ? 'wrong passphrase' : 'it needs a passphrase; set ARX_REMOTE_KEY_PASSPHRASE'}`, 'KEY_PASSPHRASE')
      : new ConfigError(`remote.key_file: ${o.keyFile} is not a private key ssh can use (${parsed.message})`, 'KEY_FILE_INVALID');
  }
  return key;
}

/** The authentication methods to try, in order, with what each uses (for messages). */
function methods(o: SshOptions, ssh2: Ssh2): { config: Partial<ConnectConfig>; tried: string[]; order: string[] } {
  const config: Partial<ConnectConfig> = {};
  const tried: string[] = [];
  const order: string[] = [];
  if (o.keyFile) {
    config.privateKey = readKey(o, ssh2);
    if (o.passphrase) config.passphrase = o.passphrase;
    order.push('publickey');
    tried.push(`key ${o.keyFile}`);
  } else if (o.agent) {
    config.agent = o.agent;
    order.push('agent');
    tried.push('ssh-agent');
  }
  if (o.password !== undefined) {
    config.password = o.password;
    order.push('password');
    tried.push('password');
  }
  if (order.length === 0) {
    throw new ConfigError(
      `no way to log in to ${where(o)}: set remote.key_file, run an ssh-agent (SSH_AUTH_SOCK), or set ARX_REMOTE_PASSWORD`,
      'NO_CREDENTIALS',
    );
  }
  return { config, tried, order };
}

/** How to trust a host, for messages. */
function trustHint(o: SshOptions): string {
  return `if you trust it, run \`arx remote trust\` (it records the key in ${o.knownHosts[0]}) or set remote.host_key_policy to "accept-new"`;
}

/** What a failure to reach the server (or a lost connection before the login) means to the user. */
function unreachable(host: string, port: number, err: Error): NetworkError {
  const code = errnoCode(err);
  const why = code === 'ECONNREFUSED' ? 'connection refused' : code === 'ENOTFOUND' ? 'unknown host' : err.message;
  return new NetworkError(`cannot reach ${host}:${port}: ${why}`, err);
}

/**
 * A TCP connection for SSH, with Nagle's algorithm off. SSH's handshake and
 * SFTP's requests are small messages sent back to back, each awaiting an
 * answer; with Nagle on, the second of two waits for the server's delayed
 * acknowledgement of the first (40 ms on Linux), twice in every login.
 */
function dial(host: string, port: number): Socket {
  return createConnection({ host, port, noDelay: true });
}

/**
 * Log in to the server. Resolves at the login, with the first SFTP channel
 * still opening: a command channel (a listing by find) need not wait for it.
 *
 * The TCP connection starts at once, so the server prepares its side while
 * ssh2 loads and the key is read; those come after the caller's synchronous
 * work (starting the local walk, say).
 */
export function connectSsh(o: SshOptions): Promise<SshConnection> {
  const sock = dial(o.host, o.port);
  let dialFailure: Error | undefined;
  sock.on('error', (err) => (dialFailure ??= err));
  return loadSsh2().then(
    (ssh2) =>
      new Promise<SshConnection>((resolve, reject) => {
        try {
          logIn(o, ssh2, sock, () => dialFailure, resolve, reject);
        } catch (err) {
          sock.destroy();
          reject(err);
        }
      }),
    (err: unknown) => {
      sock.destroy();
      throw err;
    },
  );
}

function logIn(o: SshOptions, ssh2: Ssh2, sock: Socket, dialFailure: () => Error | undefined, resolve: (c: SshConnection) => void, reject: (err: ArxError) => void): void {
  const { config, tried, order } = methods(o, ssh2);
  const failed = dialFailure();
  if (failed !== undefined || sock.destroyed) {
    sock.destroy();
    return reject(unreachable(o.host, o.port, failed ?? new Error('the connection was closed')));
  }
  const client = new ssh2.Client();
  let hostKeyProblem: ArxError | undefined;
  let settled = false;
  const fail = (err: ArxError): void => {
    if (settled) return;
    settled = true;
    client.end();
    reject(err);
  };
  client.on('error', (err: Error & { level?: string; code?: string }) => {
    if (hostKeyProblem) return fail(hostKeyProblem);
    if (err.level === 'client-authentication') {
      return fail(new PermissionDeniedError(`login to ${where(o)} failed (tried ${tried.join(', ')})`, 'AUTH_FAILED'));
    }
    if (err.level === 'client-timeout') return fail(new NetworkError(`${o.host}:${o.port} did not answer in time`, err));
    fail(unreachable(o.host, o.port, err));
  });
  client.on('ready', () => {
    settled = true;
    const channels: SFTPWrapper[] = [];
    const first = openChannel(client).then(
      (c) => {
        channels.push(c);
        return c;
      },
      (err: Error) => {
        throw new NetworkError(`${o.host}:${o.port} refused an SFTP session: ${err.message}`, err);
      },
    );
    first.catch(() => undefined);
    let widened = false;
    const widen = (): void => {
      if (widened) return;
      widened = true;
      for (let i = 1; i < o.channels; i++) openChannel(client).then((c) => channels.push(c), () => undefined);
    };
    resolve({ client, channels, first, widen });
  });
  client.connect({
    sock,
    host: o.host,
    port: o.port,
    username: o.username,
    readyTimeout: o.readyTimeoutMs,
    keepaliveInterval: 10_000,
    keepaliveCountMax: 3,
    authHandler: order as ConnectConfig['authHandler'],
    ...config,
    hostVerifier: (key: Buffer) => {
      const check = checkHostKey(o.knownHosts, o.host, o.port, key);
      const fp = fingerprint(key);
      const name = hostName(o.host, o.port);
      for (const line of check.ignored) o.onWarning?.(ignoredLineWarning(line));
      switch (check.status) {
        case 'known':
          return true;
        case 'unknown':
          if (o.hostKeyPolicy === 'accept-new') {
            addHostKey(o.knownHosts[0]!, o.host, o.port, key);
            return true;
          }
          hostKeyProblem = new PermissionDeniedError(`the host key of ${name} is not known (${fp}); ${trustHint(o)}`, 'HOST_KEY_UNKNOWN');
          return false;
        case 'changed':
          hostKeyProblem = new PermissionDeniedError(
            `the host key of ${name} has CHANGED (now ${fp}; known in ${check.file} line ${check.line}); this may be an attack, so the connection was refused. If the server's key really changed, remove that line and trust it again`,
            'HOST_KEY_CHANGED',
          );
          return false;
        case 'revoked':
          hostKeyProblem = new PermissionDeniedError(revokedMessage(o.host, o.port, fp, check), 'HOST_KEY_REVOKED');
          return false;
      }
    },
  });
}

function openChannel(client: SshClient): Promise<SFTPWrapper> {
  return new Promise<SFTPWrapper>((resolve, reject) => client.sftp((err, sftp) => (err ? reject(err) : resolve(readNamesAsBytes(sftp)))));
}

/** Connect only to read the server's host key (for `arx remote trust`). */
export async function fetchHostKey(host: string, port: number, timeoutMs: number): Promise<Buffer> {
  const ssh2 = await loadSsh2();
  return new Promise((resolve, reject) => {
    const client = new ssh2.Client();
    let key: Buffer | undefined;
    client.on('error', (err: Error) => {
      if (key) resolve(key);
      else reject(unreachable(host, port, err));
    });
    const sock = dial(host, port);
    client.connect({
      sock,
      host,
      port,
      username: 'arx-host-key-probe',
      readyTimeout: timeoutMs,
      hostVerifier: (k: Buffer) => {
        key = k;
        resolve(k);
        return false; // nothing more is needed: the handshake stops here
      },
    });
  });
}
