/**
 * With no email, SMS or push provider configured: messages land in the outbox as
 * `not_sent: no provider`, visible to the clinic's admins (masked, without payload) and to nobody
 * else; the outbox relay sends rows that never got a job; templates with a missing value fail
 * visibly; and each user's preferences are read and validated through their routes.
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import type { OutboxItem } from "@clinic/shared";
import { describe, expect, it } from "vitest";
import { OUTBOX_RELAY_JOB } from "../../server/src/modules/notifications/notifications.jobs";
import { enqueueMessage } from "../../server/src/modules/notifications/outbox.service";
import { useApiAndWorker } from "../support/harness";
import { buildClinic, buildPerson } from "../support/factories";
import { call } from "../support/api";
import { query } from "../support/db";
import { choose, leaveNotice, outboxRow, sendNotice, settled } from "./support";

describe("outbox without providers, relay and preferences", () => {
  const { api } = useApiAndWorker({ RATE_LIMIT_MAX: "100000", LOG_LEVEL: "error", OUTBOX_RELAY_SECONDS: "1", NOTIFY_BACKOFF_MS: "50" });


  it("marks channels without a provider `not_sent: no provider`, shown to that clinic's admins only, masked and without payload", async () => {
    const clinic = await buildClinic(api);
    const otherClinic = await buildClinic(api);
    const patient = await buildPerson(api, "patient", { email: "jane.doe@example.test" });
    await choose(api, patient.user.id, { email: true, sms: true, push: true }, "+447700900555");
    const ids = await sendNotice(api, {
      userId: patient.user.id,
      clinicId: clinic.id,
      template: "identity.verify-code",
      payload: { code: "771122", name: "Jane" },
      channels: ["email", "sms", "push"],
    });
    expect(ids).toHaveLength(3);
    for (const id of ids) {
      const row = await settled(api, id);
      expect(row).toMatchObject({ status: "not_sent", status_detail: "no provider", attempts: 0 });
      expect(row.payload).toEqual({ code: "[scrubbed]", name: "Jane" });
    }

    const admin = await buildPerson(api, "clinic_admin", { clinicIds: [clinic.id] });
    const page = await call(api, admin, "GET", `/notifications/outbox?clinicId=${clinic.id}&status=not_sent`);
    expect(page.status).toBe(200);
    const items = page.body.items as OutboxItem[];
    expect(items.map((item) => [item.channel, item.recipient, item.statusDetail]).sort()).toEqual([
      ["email", "j***@example.test", "no provider"],
      ["push", patient.user.id, "no provider"],
      ["sms", "+44********55", "no provider"],
    ]);
    expect(JSON.stringify(page.body)).not.toContain("771122");
    expect(items[0]).not.toHaveProperty("payload");
    const smsOnly = await call(api, admin, "GET", `/notifications/outbox?clinicId=${clinic.id}&channel=sms`);
    expect(smsOnly.body.items).toHaveLength(1);

    const platform = await buildPerson(api, "platform_admin");
    const all = await call(api, platform, "GET", `/notifications/outbox?limit=2`);
    expect(all.status).toBe(200);
    expect(all.body.items).toHaveLength(2);
    const next = await call(api, platform, "GET", `/notifications/outbox?limit=2&cursor=${all.body.nextCursor}`);
    expect(next.body.items.map((item: OutboxItem) => item.id)).not.toContain(all.body.items[0].id);

    const otherAdmin = await buildPerson(api, "clinic_admin", { clinicIds: [otherClinic.id] });
    expect((await call(api, otherAdmin, "GET", `/notifications/outbox?clinicId=${clinic.id}`)).status).toBe(403);
    expect((await call(api, otherAdmin, "GET", `/notifications/outbox?clinicId=${otherClinic.id}`)).body.items).toEqual([]);
    expect((await call(api, otherAdmin, "GET", `/notifications/outbox`)).status).toBe(403);
    expect((await call(api, patient, "GET", `/notifications/outbox?clinicId=${clinic.id}`)).status).toBe(403);
    const reception = await buildPerson(api, "receptionist", { clinicIds: [clinic.id] });
    expect((await call(api, reception, "GET", `/notifications/outbox?clinicId=${clinic.id}`)).status).toBe(403);
    const bad = await call(api, admin, "GET", `/notifications/outbox?clinicId=${clinic.id}&status=lost`);
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((error: { field: string }) => error.field)).toEqual(["query.status"]);
  });

  it("the relay sends queued rows that never got a delivery job (the older enqueueMessage, a lost dispatch)", async () => {
    const patient = await buildPerson(api, "patient", { email: "relay@example.test" });
    const em = api.runtime.orm.em.fork() as EntityManager;
    const inApp = enqueueMessage(em, { userId: patient.user.id, channel: "in_app", recipient: patient.user.id, template: "booking.cancelled-by-leave", payload: leaveNotice });
    const email = enqueueMessage(em, { userId: patient.user.id, channel: "email", recipient: "relay@example.test", template: "identity.reset-code", payload: { code: "1", name: "R" } });
    await em.flush();
    const queue = api.runtime.queues.get("notifications");
    expect(await queue.getJob(`deliver-${inApp.id}`)).toBeUndefined();
    expect((await queue.getJobSchedulers()).map((scheduler) => [scheduler.name, scheduler.every])).toContainEqual([OUTBOX_RELAY_JOB, 1000]);

    expect(await settled(api, inApp.id, "delivered")).toMatchObject({ attempts: 1 });
    expect(await settled(api, email.id, "not_sent")).toMatchObject({ status_detail: "no provider", payload: { code: "[scrubbed]", name: "R" } });
    expect(await queue.getJob(`deliver-${inApp.id}`)).toBeDefined();
  });

  it("fails a message whose template has no value for a placeholder, naming it, rather than sending a gap", async () => {
    const patient = await buildPerson(api, "patient");
    const [id] = await sendNotice(api, {
      userId: patient.user.id,
      template: "booking.cancelled-by-leave",
      payload: { when: "Mon 3 Aug, 09:30", reason: "closure" },
      channels: ["in_app"],
    });
    expect(await settled(api, id!)).toMatchObject({ status: "failed", status_detail: "template booking.cancelled-by-leave is missing doctor, alternativesText" });
    // Not in the inbox either.
    expect((await call(api, patient, "GET", "/me/notifications")).body).toMatchObject({ items: [], unread: 0 });
  });

  it("falls back to English for a language the template does not have", async () => {
    // Staff alerts are English only (every message to patients and doctors has Bengali too).
    const patient = await buildPerson(api, "patient");
    await query(api, `update patient set preferred_language = 'bn' where user_id = ?`, [patient.user.id]);
    const payload = { doctor: "Dr Sen", count: 3, clinic: "Clinic A", date: "Mon 3 Aug", reason: "the doctor is unwell" };
    const [id] = await sendNotice(api, { userId: patient.user.id, template: "alert.leave-day", payload, channels: ["in_app"] });
    expect((await outboxRow(api, id!)).recipient).toBe(patient.user.id);
    await settled(api, id!, "delivered");
    const inbox = await call(api, patient, "GET", "/me/notifications");
    expect(inbox.body.items[0]).toMatchObject({ title: "Dr Sen cancelled a whole day", body: expect.stringContaining("the doctor is unwell") });
  });

  it("renders the user's language when the template has it (bn, and bn-BD through its base language)", async () => {
    for (const language of ["bn", "bn-BD"]) {
      const patient = await buildPerson(api, "patient");
      await query(api, `update patient set preferred_language = ? where user_id = ?`, [language, patient.user.id]);
      const payload = { doctor: "Dr Sen", when: "Mon 3 Aug, 09:30", where: "Clinic A, 1 High Street" };
      const [id] = await sendNotice(api, { userId: patient.user.id, template: "reminders.appointment", payload, channels: ["in_app"] });
      expect((await outboxRow(api, id!)).language).toBe(language);
      await settled(api, id!, "delivered");
      const inbox = await call(api, patient, "GET", "/me/notifications");
      expect(inbox.body.items[0]).toMatchObject({ title: "অ্যাপয়েন্টমেন্টের অনুস্মারক", body: "অনুস্মারক: Dr Sen-এর সঙ্গে আপনার অ্যাপয়েন্টমেন্ট Mon 3 Aug, 09:30, Clinic A, 1 High Street।" });
    }
  });

  it("preferences: defaults, a valid change (also seen as the patient's reminderPreferences), and 400s naming the field", async () => {
    const patient = await buildPerson(api, "patient");
    const url = "/me/notification-preferences";
    expect((await call(api, patient, "GET", url)).body).toEqual({
      email: true,
      sms: false,
      push: false,
      inApp: true,
      quietHours: { start: "21:00", end: "08:00" },
      language: "en",
    });

    const changed = await call(api, patient, "PUT", url, { email: false, sms: true, push: true, quietHours: { start: "22:30", end: "07:00" } });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ email: false, sms: true, push: true, quietHours: { start: "22:30", end: "07:00" } });
    const [audit] = await query(api, `select action from audit_event where actor_id = ? and action = 'notification.preferences.update'`, [patient.user.id]);
    expect(audit).toBeDefined();
    const profile = await call(api, patient, "GET", "/patients/me");
    expect(profile.body.reminderPreferences).toEqual({ email: false, sms: true, push: true, inApp: true });

    // The patient API writes through the same table and leaves quiet hours alone.
    const patched = await call(api, patient, "PATCH", "/patients/me", { reminderPreferences: { email: true, sms: false, push: false, inApp: true } });
    expect(patched.status).toBe(200);
    expect((await call(api, patient, "GET", url)).body).toMatchObject({ email: true, sms: false, push: false, quietHours: { start: "22:30", end: "07:00" } });

    expect((await call(api, patient, "PUT", url, { email: true, sms: false, push: false, quietHours: null })).body.quietHours).toBeNull();
    expect((await call(api, patient, "GET", url)).body.quietHours).toBeNull();

    const cases: [unknown, string[]][] = [
      [{ email: true, sms: false, push: false, quietHours: { start: "25:00", end: "07:00" } }, ["body.quietHours.start"]],
      [{ email: true, sms: false, push: false, quietHours: { start: "07:00", end: "07:00" } }, ["body.quietHours.end"]],
      [{ sms: false, push: false, quietHours: null }, ["body.email"]],
      [{ email: "yes", sms: false, push: false, quietHours: null }, ["body.email"]],
      [{ email: true, sms: false, push: false, quietHours: null, fax: true }, ["body.fax"]],
      [{ email: true, sms: false, push: false }, ["body.quietHours"]],
    ];
    for (const [body, fields] of cases) {
      const reply = await call(api, patient, "PUT", url, body);
      expect([JSON.stringify(body), reply.status]).toEqual([JSON.stringify(body), 400]);
      expect(reply.body.errors.map((error: { field: string }) => error.field)).toEqual(fields);
    }
    expect((await call(api, patient, "GET", url)).body.quietHours).toBeNull();
    expect((await call(api, null, "GET", url)).status).toBe(401);
  });
});
