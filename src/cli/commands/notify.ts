/** `arx notify [--channel NAME] [--message TEXT]` */
import type { Command } from 'commander';
import { loadConfig } from '../../config/load.js';
import { ArxError, UsageError } from '../../errors.js';
import { DEFAULT_CHANNEL, findChannel } from '../../notify/channels.js';
import { buildNotification } from '../../notify/message.js';
import { postWebhook } from '../../notify/webhook.js';
import { redactWebhookUrl } from '../../util/redact.js';
import { EXIT } from '../exit-codes.js';
import { globals, handler } from '../handler.js';
import { say, warn } from '../output.js';

const DEFAULT_TIMEOUT_S = 10;

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
        if (!channel.webhook) {
          throw new ArxError(
            'config',
            'EMAIL_NOT_AVAILABLE',
            `notification channel "${channel.name}" only has an email address, and this version of arx sends notifications by webhook only; add a "webhook" URL to it`,
          );
        }
        if (channel.email) warn(`channel "${channel.name}": email is not sent by this version of arx; the webhook was used`, g);
        const payload = buildNotification(cfg, channel.name, opts.message, process.env, new Date());
        const res = await postWebhook(channel.webhook, payload, { timeoutMs: (cfg.notifications.timeout ?? DEFAULT_TIMEOUT_S) * 1000, channel: channel.name });
        if (!g.quiet) say(`sent to channel "${channel.name}" (${redactWebhookUrl(channel.webhook)}, HTTP ${res.status})`);
        return EXIT.OK;
      }),
    );
}
