/** `arx notify [--channel NAME] [--message TEXT]` */
import type { Command } from 'commander';
import { loadConfig } from '../../config/load.js';
import { ArxError, UsageError } from '../../errors.js';
import { DEFAULT_CHANNEL, findChannel, notifyTimeoutMs } from '../../notify/channels.js';
import { buildNotification } from '../../notify/message.js';
import { deliverWebhook } from '../../notify/deliver.js';
import { sendMail, smtpOf } from '../../notify/email.js';
import { webhookSecret } from '../../notify/signing.js';
import { redactWebhookUrl } from '../../util/redact.js';
import { EXIT } from '../exit-codes.js';
import { globals, handler } from '../handler.js';
import { say, warn } from '../output.js';

/** Attempts in all for the webhook (about 1 and 2 s apart). */
const NOTIFY_ATTEMPTS = 3;

export function registerNotify(program: Command): void {
  program
    .command('notify')
    .description('send a message through a notification channel (notifications.channels.NAME, or the default webhook)')
    .option('--channel <name>', 'channel to send through', DEFAULT_CHANNEL)
    .option('--message <text>', 'the message (default: a summary of the sync that runs this command, if any)')
    .action(
      handler<{ channel: string; message?: string }>(async (opts, cmd) => {
        const g = globals(cmd);
        if (opts.message !== undefined && opts.message.trim() === '') throw new UsageError('--message: the message is empty');
        const cfg = loadConfig({ projectDir: g.project });
        for (const w of cfg.warnings) warn(w, g);
        const channel = findChannel(cfg.notifications, opts.channel);
        const payload = buildNotification(cfg, channel.name, opts.message, process.env, new Date());
        const timeoutMs = notifyTimeoutMs(cfg.notifications);
        const sent: string[] = [];
        const failed: string[] = [];
        if (channel.webhook) {
          const secret = webhookSecret(process.env);
          const r = await deliverWebhook(channel.webhook, payload, payload.text, { channel: channel.name, timeoutMs, attempts: NOTIFY_ATTEMPTS, ...(secret ? { secret } : {}) });
          if (r.ok) sent.push(`${redactWebhookUrl(channel.webhook)}, HTTP ${r.status}`);
          else failed.push(r.reason);
        }
        if (channel.email) {
          try {
            const subject = `arx: ${cfg.project.name ?? cfg.project.project_id}: ${payload.text.split('\n')[0]!.slice(0, 120)}`;
            await sendMail(smtpOf(cfg.notifications), { to: [channel.email], subject, text: payload.text }, process.env, timeoutMs);
            sent.push(`e-mail to ${channel.email}`);
          } catch (err) {
            // Settings the user must fix are errors at once; a server that fails is reported with the rest.
            if (!(err instanceof ArxError) || err.category === 'config') throw err;
            failed.push(err.message);
          }
        }
        if (failed.length > 0) {
          if (sent.length === 0) throw new ArxError('network', 'NOTIFY_FAILED', failed.join('; '));
          for (const f of failed) warn(f, g);
        }
        if (!g.quiet) say(`sent to channel "${channel.name}" (${sent.join('; ')})`);
        return EXIT.OK;
      }),
    );
}
