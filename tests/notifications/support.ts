/**
 * Notifications test fixtures: a real SMTP server (smtp-server) that records what it accepted and
 * can hold a message's DATA open, an HTTP stand-in for Twilio and the push webhook, and helpers that
 * write notices the way modules do (notify in a transaction, dispatch after commit).
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { EntityManager } from "@mikro-orm/postgresql";
import { SMTPServer } from "smtp-server";
import { dispatchMessages, notify, type Notice } from "../../server/src/modules/notifications/notify";
import { waitFor, type TestApp } from "../support/harness";
import { query } from "../support/db";

export interface ReceivedMail {
  from: string;
  to: string[];
  raw: string;
  subject: string;
  text: string;
}

export interface TestSmtp {
  url: string;
  /** Messages the server accepted (answered 250 after DATA). */
  accepted: ReceivedMail[];
  /** DATA sessions that arrived in full, accepted or not. */
  received: ReceivedMail[];
  /** When set, the next message's DATA is never answered; resolves when it has fully arrived. */
  holdNext(): Promise<ReceivedMail>;
  close(): Promise<void>;
}

/** Undoes quoted-printable soft line breaks and escapes (nodemailer uses them for long lines). */
function decodeQuotedPrintable(text: string): string {
  return text.replace(/=\r?\n/g, "").replace(/=([0-9A-F]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

function parseMail(raw: string, from: string, to: string[]): ReceivedMail {
  const split = raw.indexOf("\r\n\r\n");
  const head = raw.slice(0, split).replace(/\r\n[ \t]+/g, " ");
  const body = raw.slice(split + 4);
  const subject = /^Subject: (.*)$/im.exec(head)?.[1] ?? "";
  const qp = /^Content-Transfer-Encoding: quoted-printable/im.test(head);
  return { from, to, raw, subject, text: (qp ? decodeQuotedPrintable(body) : body).trim() };
}

export async function startSmtp(): Promise<TestSmtp> {
  const accepted: ReceivedMail[] = [];
  const received: ReceivedMail[] = [];
  let hold: ((mail: ReceivedMail) => void) | undefined;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("end", () => {
        const mail = parseMail(
          Buffer.concat(chunks).toString("utf8"),
          session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
          session.envelope.rcptTo.map((rcpt) => rcpt.address),
        );
        received.push(mail);
        const held = hold;
        if (held) {
          hold = undefined;
          held(mail);
          return; // never answered: the sender is stuck mid-send until it dies or times out
        }
        accepted.push(mail);
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    accepted,
    received,
    holdNext: () => new Promise<ReceivedMail>((resolve) => (hold = resolve)),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export interface StandInRequest {
  method: string;
  path: string;
  headers: IncomingMessage["headers"];
  body: string;
  form: URLSearchParams;
}

export interface StandIn {
  url: string;
  requests: StandInRequest[];
  /** Decides each answer; the default answers Twilio-style 201 with a fresh sid. */
  respond: (request: StandInRequest) => { status: number; body: unknown };
  close(): Promise<void>;
}

export async function startStandIn(): Promise<StandIn> {
  let counter = 0;
  const standIn: StandIn = {
    url: "",
    requests: [],
    respond: () => ({ status: 201, body: { sid: `SM${String(++counter).padStart(32, "0")}`, status: "queued" } }),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const request = { method: req.method ?? "", path: req.url ?? "", headers: req.headers, body, form: new URLSearchParams(body) };
      standIn.requests.push(request);
      const answer = standIn.respond(request);
      res.writeHead(answer.status, { "content-type": "application/json" }).end(JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  standIn.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return standIn;
}

/** notify() in a transaction, then dispatch after commit, as a module would. Returns the queued ids. */
export async function sendNotice(app: TestApp, notice: Notice): Promise<string[]> {
  const em = app.runtime.orm.em.fork() as EntityManager;
  const ids = await em.transactional((tx) => notify(tx, notice));
  await dispatchMessages(app.runtime, ids);
  return ids;
}

export interface OutboxRow {
  id: string;
  status: string;
  status_detail: string | null;
  attempts: number;
  provider_id: string | null;
  payload: Record<string, unknown>;
  sent_at: Date | null;
  delivered_at: Date | null;
  read_at: Date | null;
  channel: string;
  recipient: string;
  language: string;
}

export async function outboxRow(app: TestApp, id: string): Promise<OutboxRow> {
  const [row] = await query<OutboxRow>(app, `select * from notification_outbox where id = ?`, [id]);
  return row!;
}

export async function rowsOf(app: TestApp, userId: string): Promise<OutboxRow[]> {
  return query<OutboxRow>(app, `select * from notification_outbox where user_id = ? order by channel`, [userId]);
}

/** Waits until the row leaves `queued` (or reaches `status`), and returns it. */
export async function settled(app: TestApp, id: string, status?: string, timeoutMs = 20_000): Promise<OutboxRow> {
  return waitFor(async () => {
    const row = await outboxRow(app, id);
    return (status ? row.status === status : row.status !== "queued") ? row : undefined;
  }, timeoutMs);
}

/** Sets a person's channel choices (and gives them a phone number) straight in the database. */
export async function choose(app: TestApp, userId: string, channels: { email?: boolean; sms?: boolean; push?: boolean }, phone?: string) {
  await query(
    app,
    `insert into notification_preference (user_id, email, sms, push, quiet_hours_start, quiet_hours_end)
     values (?, ?, ?, ?, '21:00', '08:00')
     on conflict (user_id) do update set email = excluded.email, sms = excluded.sms, push = excluded.push`,
    [userId, channels.email ?? true, channels.sms ?? false, channels.push ?? false],
  );
  if (phone) await query(app, `update patient set phone = ? where user_id = ?`, [phone, userId]);
}

export const leaveNotice = { doctor: "Dr Sen", when: "Mon 3 Aug, 09:30", reason: "the doctor is unwell", alternativesText: "Earliest alternatives: Tue 4 Aug, 10:00 with Dr Das." };
