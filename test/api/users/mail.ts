/** Reading the mails the server writes (MAIL_DIR), for the users' API tests. */
import type { TestServer } from '../../helpers/server';

export interface Mail {
  readonly to: string;
  readonly subject: string;
  readonly body: string;
}

export function parseMail(text: string): Mail {
  const split = text.indexOf('\n\n');
  const head = text.slice(0, split);
  const header = (name: string) => new RegExp(`^${name}: (.*)$`, 'm').exec(head)?.[1] ?? '';
  return { to: header('To'), subject: header('Subject'), body: text.slice(split + 2) };
}

/**
 * Waits until the server has written `count` mails in all (some are sent after the response)
 * and returns them, oldest first. Fails after `timeoutMs`.
 */
export async function waitForMails(server: TestServer, count: number, timeoutMs = 3000): Promise<Mail[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    // A file being written may still be empty: only complete ones (ending in a newline) count.
    const mails = server.mails().filter((m) => m.endsWith('\n') && m.includes('\n\n'));
    if (mails.length >= count) return mails.map(parseMail);
    if (Date.now() > deadline) throw new Error(`expected ${count} mails, found ${mails.length}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The uid and token of the link `…/<kind path>/<uid>/<token>` in a mail body. */
export function uidAndToken(mail: Mail, path = 'password/reset/confirm'): { uid: string; token: string; link: string } {
  const m = new RegExp(`(\\S*${path}/([A-Za-z0-9_-]+)/([0-9a-z]+-[0-9a-f]+))\\s*$`, 'm').exec(mail.body);
  if (!m) throw new Error(`no ${path} link in the mail`);
  return { link: m[1], uid: m[2], token: m[3] };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
