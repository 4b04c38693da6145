/**
 * Delivery through a real worker runtime: email to a real SMTP server, SMS to a Twilio-format
 * stand-in (success, retried 5xx, refused 4xx, signed status callbacks), push to a webhook stand-in,
 * in-app pushed live to `me` and read through the inbox routes, opt-outs and secret scrubbing.
 */
import type { EventEnvelope, InboxItem } from "@clinic/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { twilioSignature } from "../../server/src/modules/notifications/twilio-status";
import { listen, startApiAndWorker, subscribe, type TestApp, waitFor } from "../support/harness";
import { buildPerson } from "../support/factories";
import { call } from "../support/api";
import { choose, leaveNotice, outboxRow, rowsOf, sendNotice, settled, startSmtp, startStandIn, type StandIn, type TestSmtp } from "./support";

const SID = "AC0123456789abcdef0123456789abcdef";
const TOKEN = "twilio-test-auth-token";
const PUBLIC_URL = "https://clinic.example.test";
const ATTEMPTS = 3;

describe("notification delivery", () => {
  let api: TestApp;
  let worker: TestApp;
  let smtp: TestSmtp;
  let standIn: StandIn;
  const sockets: { close(): void }[] = [];

  beforeAll(async () => {
    smtp = await startSmtp();
    standIn = await startStandIn();
    const env = {
      RATE_LIMIT_MAX: "100000",
      LOG_LEVEL: "error",
      PUBLIC_URL,
      SMTP_URL: smtp.url,
      MAIL_FROM: "Clinic Live <no-reply@clinic.test>",
      TWILIO_ACCOUNT_SID: SID,
      TWILIO_AUTH_TOKEN: TOKEN,
      TWILIO_FROM: "+15005550006",
      TWILIO_API_BASE: standIn.url,
      PUSH_WEBHOOK_URL: `${standIn.url}/push`,
      NOTIFY_ATTEMPTS: String(ATTEMPTS),
      NOTIFY_BACKOFF_MS: "50",
      OUTBOX_RELAY_SECONDS: "3600",
    };
    ({ api, worker } = await startApiAndWorker(env));
  });
  afterAll(async () => {
    for (const socket of sockets) socket.close();
    await worker?.close();
    await api?.close();
    await smtp?.close();
    await standIn?.close();
  });

  const smsTo = (phone: string) => standIn.requests.filter((request) => request.form.get("To") === phone);

  it("sends email over SMTP: the server receives it with the rendered subject and body; the row is sent with the message id", async () => {
    const patient = await buildPerson(api, "patient", { email: "asha@example.test" });
    const [id] = await sendNotice(api, { userId: patient.user.id, template: "booking.cancelled-by-leave", payload: leaveNotice, channels: ["email"] });
    const row = await settled(api, id!);
    expect(row).toMatchObject({ status: "sent", attempts: 1, status_detail: null });
    const mail = smtp.accepted.find((one) => one.to.includes("asha@example.test"))!;
    expect(mail.from).toBe("no-reply@clinic.test");
    expect(mail.subject).toBe("Your appointment was cancelled");
    expect(mail.text).toBe("Your appointment with Dr Sen on Mon 3 Aug, 09:30 was cancelled: the doctor is unwell. Earliest alternatives: Tue 4 Aug, 10:00 with Dr Das.");
    expect(row.provider_id).toBe(`<${id}@clinic-live>`);
    expect(row.sent_at).not.toBeNull();
  });

  it("scrubs the template's secret fields from the stored payload once the message has left", async () => {
    const patient = await buildPerson(api, "patient", { email: "code@example.test" });
    const [id] = await sendNotice(api, {
      userId: patient.user.id,
      template: "identity.verify-code",
      payload: { code: "493817", name: "Asha" },
      channels: ["email"],
    });
    expect((await outboxRow(api, id!)).payload).toEqual({ code: "493817", name: "Asha" });
    const row = await settled(api, id!);
    expect(row.status).toBe("sent");
    expect(row.payload).toEqual({ code: "[scrubbed]", name: "Asha" });
    expect(smtp.accepted.find((one) => one.to.includes("code@example.test"))!.text).toContain("your verification code is 493817");
  });

  it("sends identity's codes right after the registering request commits (the relay is off here), then scrubs them", async () => {
    const reply = await call(api, null, "POST", "/auth/register", { email: "newcomer@example.test", password: "a long enough password", name: "New Comer", role: "patient" });
    expect(reply.status).toBe(201);
    const [row] = await rowsOf(api, reply.body.userId);
    const sent = await settled(api, row!.id, "sent");
    const mail = smtp.accepted.find((one) => one.to.includes("newcomer@example.test"))!;
    expect(mail.subject).toBe("Your Clinic Live code");
    const code = /verification code is (\d{6})/.exec(mail.text)?.[1];
    expect(code).toMatch(/^\d{6}$/);
    expect(sent.payload).toEqual({ code: "[scrubbed]", name: "New Comer" });
    expect((await call(api, null, "POST", "/auth/verify", { email: "newcomer@example.test", code })).status).toBe(200);
  });

  it("in-app: delivered, pushed live to `me`, listed newest first with a cursor, marked read one by one and all at once", async () => {
    const patient = await buildPerson(api, "patient");
    const client = await listen(api, patient.token, sockets as never);
    expect(await subscribe(client.socket, "me")).toMatchObject({ ok: true });
    const topic = `me:${patient.user.id}`;

    const ids: string[] = [];
    for (const reason of ["first", "second", "third"]) {
      const [id] = await sendNotice(api, { userId: patient.user.id, template: "booking.cancelled-by-leave", payload: { ...leaveNotice, reason }, channels: ["in_app"] });
      ids.push(id!);
      await settled(api, id!, "delivered");
    }
    const created = await waitFor(() => {
      const events = client.of(topic).filter((event) => event.type === "notification.created") as EventEnvelope<InboxItem>[];
      return events.length === 3 ? events : undefined;
    });
    expect(created[0]!.data).toMatchObject({ id: ids[0], template: "booking.cancelled-by-leave", title: "Your appointment was cancelled", readAt: null });
    expect(created[0]!.data.body).toContain("cancelled: first.");
    expect((await outboxRow(api, ids[0]!)).delivered_at).not.toBeNull();

    const page1 = await call(api, patient, "GET", "/me/notifications?limit=2");
    expect(page1.status).toBe(200);
    expect(page1.body.items.map((item: InboxItem) => item.id)).toEqual([ids[2], ids[1]]);
    expect(page1.body.unread).toBe(3);
    const page2 = await call(api, patient, "GET", `/me/notifications?limit=2&cursor=${page1.body.nextCursor}`);
    expect(page2.body.items.map((item: InboxItem) => item.id)).toEqual([ids[0]]);
    expect(page2.body.nextCursor).toBeNull();

    const read = await call(api, patient, "POST", `/me/notifications/${ids[1]}/read`);
    expect(read.status).toBe(200);
    expect(read.body.readAt).not.toBeNull();
    expect((await call(api, patient, "GET", "/me/notifications")).body.unread).toBe(2);
    // A client that reconnects reads the unread count from the `me` snapshot.
    const again = await listen(api, patient.token, sockets as never);
    expect(await subscribe(again.socket, "me")).toMatchObject({ ok: true, snapshot: { unreadNotifications: 2 } });
    await waitFor(() => client.of(topic).some((event) => event.type === "notification.read") || undefined);

    // Someone else's message is not found, not refused.
    const stranger = await buildPerson(api, "patient");
    expect((await call(api, stranger, "POST", `/me/notifications/${ids[0]}/read`)).status).toBe(404);

    const all = await call(api, patient, "POST", "/me/notifications/read-all");
    expect(all.body).toEqual({ marked: 2, unread: 0 });
    const after = await call(api, patient, "GET", "/me/notifications");
    expect(after.body.unread).toBe(0);
    expect(after.body.items.every((item: InboxItem) => item.readAt !== null)).toBe(true);
  });

  it("sends SMS in Twilio's REST format (path, basic auth, form fields) and stores the sid", async () => {
    const patient = await buildPerson(api, "patient");
    const phone = "+447700900101";
    await choose(api, patient.user.id, { sms: true }, phone);
    const [id] = await sendNotice(api, { userId: patient.user.id, template: "booking.cancelled-by-leave", payload: leaveNotice, channels: ["sms"] });
    const row = await settled(api, id!);
    expect(row).toMatchObject({ status: "sent", attempts: 1 });
    const [request] = smsTo(phone);
    expect(request!.method).toBe("POST");
    expect(request!.path).toBe(`/2010-04-01/Accounts/${SID}/Messages.json`);
    expect(request!.headers.authorization).toBe(`Basic ${Buffer.from(`${SID}:${TOKEN}`).toString("base64")}`);
    expect(request!.headers["content-type"]).toContain("application/x-www-form-urlencoded");
    expect(request!.form.get("From")).toBe("+15005550006");
    expect(request!.form.get("Body")).toContain("Your appointment with Dr Sen on Mon 3 Aug, 09:30 was cancelled");
    expect(request!.form.get("StatusCallback")).toBe(`${PUBLIC_URL}/api/v1/notifications/twilio/status`);
    expect(row.provider_id).toMatch(/^SM\d{32}$/);
  });

  it("takes Twilio's signed status callback (delivered, failed) and refuses a bad or missing signature with nothing written", async () => {
    const patient = await buildPerson(api, "patient");
    await choose(api, patient.user.id, { sms: true }, "+447700900102");
    const [id] = await sendNotice(api, { userId: patient.user.id, template: "booking.cancelled-by-leave", payload: leaveNotice, channels: ["sms"] });
    const sid = (await settled(api, id!)).provider_id!;
    const callbackUrl = `${PUBLIC_URL}/api/v1/notifications/twilio/status`;
    const post = (params: Record<string, string>, signature?: string) =>
      fetch(`${api.url}/api/v1/notifications/twilio/status`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", ...(signature ? { "x-twilio-signature": signature } : {}) },
        body: new URLSearchParams(params).toString(),
      });
    const delivered = { MessageSid: sid, MessageStatus: "delivered", AccountSid: SID, To: "+447700900102", From: "+15005550006", ApiVersion: "2010-04-01" };

    const forged = await post(delivered, twilioSignature("not-the-token", callbackUrl, delivered));
    expect(forged.status).toBe(403);
    expect(forged.headers.get("content-type")).toContain("application/problem+json");
    expect((await post(delivered)).status).toBe(403);
    // Signed for other parameters than the ones sent.
    expect((await post(delivered, twilioSignature(TOKEN, callbackUrl, { ...delivered, MessageStatus: "sent" }))).status).toBe(403);
    expect(await outboxRow(api, id!)).toMatchObject({ status: "sent", delivered_at: null });

    expect((await post(delivered, twilioSignature(TOKEN, callbackUrl, delivered))).status).toBe(204);
    const row = await outboxRow(api, id!);
    expect(row.status).toBe("delivered");
    expect(row.delivered_at).not.toBeNull();

    // A second message that the carrier could not deliver.
    const [other] = await sendNotice(api, { userId: patient.user.id, template: "booking.cancelled-by-leave", payload: leaveNotice, channels: ["sms"] });
    const otherSid = (await settled(api, other!)).provider_id!;
    const undelivered = { MessageSid: otherSid, MessageStatus: "undelivered", ErrorCode: "30003", AccountSid: SID };
    expect((await post(undelivered, twilioSignature(TOKEN, callbackUrl, undelivered))).status).toBe(204);
    expect(await outboxRow(api, other!)).toMatchObject({ status: "failed", status_detail: "twilio undelivered 30003" });
  });

  it("retries an SMS the provider fails with 5xx NOTIFY_ATTEMPTS times, then marks it failed with the error", async () => {
    const patient = await buildPerson(api, "patient");
    const phone = "+447700900103";
    await choose(api, patient.user.id, { sms: true }, phone);
    const normal = standIn.respond;
    standIn.respond = (request) =>
      request.form.get("To") === phone ? { status: 500, body: { code: 20500, message: "Internal Server Error" } } : normal(request);
    const [id] = await sendNotice(api, { userId: patient.user.id, template: "booking.cancelled-by-leave", payload: leaveNotice, channels: ["sms"] });
    const row = await settled(api, id!, "failed");
    standIn.respond = normal;
    expect(smsTo(phone)).toHaveLength(ATTEMPTS);
    expect(row.attempts).toBe(ATTEMPTS);
    expect(row.status_detail).toBe(`gave up after ${ATTEMPTS} attempts: HTTP 500 20500: Internal Server Error`);
    const job = await api.runtime.queues.get("notifications").getJob(`deliver-${id}`);
    expect(await job!.getState()).toBe("failed");
    expect(job!.attemptsMade).toBe(ATTEMPTS);
  });

  it("fails an SMS the provider refuses with 4xx at once, with the provider's code and message, without retrying", async () => {
    const patient = await buildPerson(api, "patient");
    const phone = "+447700900104";
    await choose(api, patient.user.id, { sms: true }, phone);
    const normal = standIn.respond;
    standIn.respond = (request) =>
      request.form.get("To") === phone
        ? { status: 400, body: { code: 21211, message: "The 'To' number is not a valid phone number.", status: 400 } }
        : normal(request);
    const [id] = await sendNotice(api, { userId: patient.user.id, template: "booking.cancelled-by-leave", payload: leaveNotice, channels: ["sms"] });
    const row = await settled(api, id!, "failed");
    const job = await api.runtime.queues.get("notifications").getJob(`deliver-${id}`);
    await waitFor(async () => ((await job!.getState()) === "failed" ? true : undefined));
    standIn.respond = normal;
    expect(row).toMatchObject({ attempts: 1, status_detail: "21211: HTTP 400 21211: The 'To' number is not a valid phone number." });
    expect(smsTo(phone)).toHaveLength(1);
    expect((await api.runtime.queues.get("notifications").getJob(`deliver-${id}`))!.attemptsMade).toBe(1);
  });

  it("respects an SMS opt-out: no request reaches the provider and the row says why, while the email goes out", async () => {
    const patient = await buildPerson(api, "patient", { email: "optout@example.test" });
    const phone = "+447700900105";
    await choose(api, patient.user.id, { sms: false, email: true }, phone);
    const [emailId] = await sendNotice(api, { userId: patient.user.id, template: "booking.cancelled-by-leave", payload: leaveNotice, channels: ["sms", "email"] });
    await settled(api, emailId!, "sent");
    const rows = await rowsOf(api, patient.user.id);
    expect(rows.map((row) => [row.channel, row.status, row.status_detail])).toEqual([
      ["email", "sent", null],
      ["sms", "not_sent", "opted out"],
    ]);
    expect(smsTo(phone)).toHaveLength(0);
  });

  it("sends push through the webhook with the user, title and body, the outbox id as idempotency key", async () => {
    const patient = await buildPerson(api, "patient");
    await choose(api, patient.user.id, { push: true });
    const normal = standIn.respond;
    standIn.respond = (request) => (request.path === "/push" ? { status: 202, body: { id: "push-1" } } : normal(request));
    const [id] = await sendNotice(api, { userId: patient.user.id, template: "booking.cancelled-by-leave", payload: leaveNotice, channels: ["push"] });
    const row = await settled(api, id!);
    standIn.respond = normal;
    expect(row).toMatchObject({ status: "sent", provider_id: "push-1" });
    const request = standIn.requests.find((one) => one.path === "/push" && one.headers["idempotency-key"] === id)!;
    expect(JSON.parse(request.body)).toEqual({
      to: patient.user.id,
      title: "Your appointment was cancelled",
      body: "Your appointment with Dr Sen on Mon 3 Aug, 09:30 was cancelled: the doctor is unwell. Earliest alternatives: Tue 4 Aug, 10:00 with Dr Das.",
    });
  });
});
