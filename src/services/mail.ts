/**
 * Outgoing mail. Without EMAIL_URL, each message is written as a file in the mail folder
 * (`To:` and the other header lines, a blank line, the body), as Django's file e-mail
 * backend does, so a newcomer can finish a password reset with no mail server. With
 * EMAIL_URL (smtp://user:pass@host:port) it goes out through nodemailer, and is still kept
 * as a file when MAIL_DIR is set.
 */
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';

export interface Message {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
}

export interface Mailer {
  send(message: Message): Promise<void>;
}

export function createMailer(options: { dir: string; url: string | null; from: string; keepFiles: boolean }, log: Logger): Mailer {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const transport = options.url ? (require('nodemailer') as typeof import('nodemailer')).createTransport(options.url) : null;
  return {
    async send(message) {
      if (transport) await transport.sendMail({ from: options.from, to: message.to, subject: message.subject, text: message.text });
      if (!transport || options.keepFiles) {
        await fs.mkdir(options.dir, { recursive: true });
        const name = `${new Date().toISOString().replace(/[:.]/g, '-')}-${crypto.randomBytes(4).toString('hex')}.eml`;
        const file = path.join(options.dir, name);
        const text = [
          `From: ${options.from}`,
          `To: ${message.to}`,
          `Subject: ${message.subject}`,
          `Date: ${new Date().toUTCString()}`,
          'Content-Type: text/plain; charset="utf-8"',
          '',
          message.text,
          '',
        ].join('\n');
        await fs.writeFile(file, text, { mode: 0o600 });
        // The file holds a reset link: say where it is, never what it says.
        log.info({ file }, 'mail written to file');
      }
    },
  };
}
