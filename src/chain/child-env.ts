/**
 * The environment chain commands start from: this process's, less every
 * secret arx holds. A command is approved code, but it still never sees the
 * remote's password or a key's passphrase (nor any later ARX_* secret: SMTP
 * passwords, webhook secrets, API tokens).
 */
import { ENV_KEYS } from '../config/env.js';

/** Names arx reads secrets from, now and later: every ARX_* variable named like a secret. */
const SECRET_NAME = /^ARX_.*(PASSWORD|PASSPHRASE|SECRET|TOKEN|API_KEY|CREDENTIALS?)$/i;

export function isSecretVariable(name: string): boolean {
  return ENV_KEYS[name]?.secret === true || SECRET_NAME.test(name);
}

export function scrubbedEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(env)) if (!isSecretVariable(k)) out[k] = v;
  return out;
}
