/**
 * Talks to the running agent (`arx agent status`): its address from the lock
 * file, its token, and for TLS its own certificate as the only one trusted.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { readFileSync } from 'node:fs';
import { ArxError } from '../errors.js';

export interface AgentAddress {
  address: string;
  token: string;
  /** For an https agent: its certificate (the agent's own, from its settings). */
  cert?: string;
}

/** A wildcard listen address is reached on loopback. */
function reachable(address: string): URL {
  const u = new URL(address);
  if (u.hostname === '0.0.0.0') u.hostname = '127.0.0.1';
  if (u.hostname === '[::]') u.hostname = '[::1]';
  return u;
}

export function agentGet(to: AgentAddress, path: string, timeoutMs = 5000): Promise<{ status: number; body: unknown }> {
  const base = reachable(to.address);
  const url = new URL(path, base);
  const secure = url.protocol === 'https:';
  return new Promise((resolve, reject) => {
    const options = {
      method: 'GET',
      headers: { authorization: `Bearer ${to.token}`, accept: 'application/json' },
      timeout: timeoutMs,
      ...(secure && to.cert ? { ca: readFileSync(to.cert), checkServerIdentity: () => undefined } : {}),
    };
    const req = (secure ? httpsRequest : httpRequest)(url, options, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // Not JSON: kept as text.
        }
        resolve({ status: res.statusCode ?? 0, body });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${Math.round(timeoutMs / 1000)} s`)));
    req.on('error', (err) => reject(new ArxError('network', 'AGENT_UNREACHABLE', `the agent at ${to.address} does not answer: ${err.message}`)));
    req.end();
  });
}
