/**
 * E-mail through SMTP (nodemailer, loaded only when a mail is sent):
 * `notifications.smtp` {host, port, secure, from, username}; the password
 * only from ARX_SMTP_PASSWORD.
 */
import { createRequire } from 'node:module';
import { hostname } from 'node:os';
import type { NotificationsConfig } from '../config/load.js';
import { ArxError, ConfigError } from '../errors.js';
import { noteSecret, redactText } from '../util/redact.js';

export const SMTP_PASSWORD_ENV = 'ARX_SMTP_PASSWORD';

export interface Mail {
  to: string[];
  subject: string;
  text: string;
}

type Smtp = NonNullable<NotificationsConfig['smtp']>;

export function smtpOf(n: NotificationsConfig): Smtp {
  if (!n.smtp) {
    throw new ConfigError('notifications.smtp is not set: e-mail needs a mail server, e.g. "smtp": {"host": "mail.example.com", "port": 587, "username": "arx", "from": "arx@example.com"} in ~/.arxconfig.json (the password in ARX_SMTP_PASSWORD)', 'SMTP_NOT_SET');
  }
  return n.smtp;
}

export async function sendMail(smtp: Smtp, mail: Mail, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<void> {
  const password = env[SMTP_PASSWORD_ENV];
  noteSecret(password);
  if (smtp.username && !password) throw new ConfigError(`notifications.smtp.username is set but ${SMTP_PASSWORD_ENV} is not: set the mail account's password in the environment (or .env)`, 'SMTP_PASSWORD_MISSING');
  const port = smtp.port ?? (smtp.secure ? 465 : 587);
  // Required at the first mail (not imported): the CLI runs from a script that cannot import modules dynamically.
  const { createTransport } = createRequire(import.meta.url)('nodemailer') as typeof import('nodemailer');
  const transport = createTransport({
    host: smtp.host,
    port,
    secure: smtp.secure === true,
    ...(smtp.username ? { auth: { user: smtp.username, pass: password! } } : {}),
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
  });
  try {
    await transport.sendMail({ from: smtp.from ?? `arx <arx@${hostname()}>`, to: mail.to.join(', '), subject: mail.subject, text: mail.text });
  } catch (err) {
    const e = err as Error & { code?: string; responseCode?: number };
    const why = e.responseCode ? `the server answered ${e.responseCode}: ${e.message}` : e.code ? `${e.code}: ${e.message}` : e.message;
    throw new ArxError('network', 'EMAIL_FAILED', `could not send e-mail through ${smtp.host}:${port}: ${redactText(why)}`);
  } finally {
    transport.close();
  }
}
