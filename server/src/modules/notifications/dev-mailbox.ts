/**
 * The development mailbox (docs/notifications.md "Email in development"). Outside production, with
 * no SMTP_URL, email goes over SMTP to a mail catcher on loopback that a sending process starts on
 * its first email; each message caught is kept in Redis (the newest 100, shared by every process)
 * for `GET /api/v1/dev/mailbox` and the web's /dev/mailbox — so a sign-up's code and every notice can
 * be read with nothing configured. smtp-server and mailparser are loaded only then.
 */
import type { AddressInfo } from "node:net";
import type { Redis } from "ioredis";
import type { Logger } from "pino";

/** How many messages the mailbox keeps, newest first. */
const KEEP = 100;
/** Larger messages are refused by the catcher (a notice is a few kB). */
const MAX_MESSAGE_BYTES = 1024 * 1024;

export interface MailboxItem {
  to: string;
  subject: string;
  text: string;
  at: string;
}

const mailboxKey = (prefix: string) => `${prefix}:dev:mailbox`;

export interface MailCatcher {
  /** Where to send: `smtp://127.0.0.1:{port}`. */
  url: string;
  close(): Promise<void>;
}

/** Starts the catcher on a free loopback port; it does not keep the process alive. */
export async function startMailCatcher(redis: Redis, prefix: string, log: Logger): Promise<MailCatcher> {
  const [{ SMTPServer }, { simpleParser }] = await Promise.all([import("smtp-server"), import("mailparser")]);
  const key = mailboxKey(prefix);
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    size: MAX_MESSAGE_BYTES,
    banner: "Clinic Live development mailbox",
    logger: false,
    onData(stream, session, callback) {
      simpleParser(stream)
        .then(async (mail) => {
          const item: MailboxItem = {
            to: session.envelope.rcptTo.map((recipient) => recipient.address).join(", "),
            subject: mail.subject ?? "",
            text: mail.text ?? "",
            at: new Date().toISOString(),
          };
          await redis.multi().lpush(key, JSON.stringify(item)).ltrim(key, 0, KEEP - 1).exec();
          callback();
        })
        // Refused with a temporary error: the delivery job tries again.
        .catch((error: Error) => callback(Object.assign(error, { responseCode: 451 })));
    },
  });
  server.on("error", (error) => log.warn({ err: error }, "development mailbox: SMTP error"));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  server.server.unref();
  const { port } = server.server.address() as AddressInfo;
  log.info({ port }, "development mailbox: email is caught, read it at /dev/mailbox");
  return { url: `smtp://127.0.0.1:${port}`, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** The messages caught, newest first. */
export async function readMailbox(redis: Redis, prefix: string): Promise<MailboxItem[]> {
  const raw = await redis.lrange(mailboxKey(prefix), 0, KEEP - 1);
  return raw.map((entry) => JSON.parse(entry) as MailboxItem);
}
