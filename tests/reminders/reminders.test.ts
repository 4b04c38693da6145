/**
 * Reminders through the real stack: booking changes plan, re-plan and remove the delayed jobs on the
 * `reminders` queue, and a real worker runtime (ROLE=worker) sends them into the outbox — unless the
 * appointment moved or ended behind the job's back. Jobs lost with Redis's data are re-planned. Clinics sit in a fixed-offset zone where it is
 * now about noon, so the default quiet hours (21:00–08:00) never touch a test by accident.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Job } from "bullmq";
import { addDays, localDateOf, zonedToInstant } from "@clinic/shared";
import { reminderJobId, replanReminders, replanStateKey, type ReminderData } from "../../server/src/modules/reminders/reminders.service";
import type { ReminderKind } from "../../server/src/modules/reminders/reminder-plan";
import { jobResult, startApiAndWorker, type TestApp, waitFor } from "../support/harness";
import { buildAppointment, buildDoctor, buildMiddayClinic, buildPatient, buildPerson, buildSlot } from "../support/factories";
import { call, hold } from "../support/api";
import { query } from "../support/db";

const HOUR = 3_600_000;

describe("appointment reminders", () => {
  let app: TestApp;
  let worker: TestApp;
  let zone: string;
  let clinicId: string;
  let doctorId: string;
  let reception: Awaited<ReturnType<typeof buildPerson>>;

  beforeAll(async () => {
    // The re-plan's schedule is an hour away: its tests run it themselves.
    ({ api: app, worker } = await startApiAndWorker({ RATE_LIMIT_MAX: "100000", LOG_LEVEL: "error", LIFECYCLE_EVERY_SECONDS: "3600" }));
    const clinic = await buildMiddayClinic(app);
    zone = clinic.timeZone;
    clinicId = clinic.id;
    await query(app, `update clinic set address = '1 High Street' where id = ?`, [clinicId]);
    doctorId = (await buildDoctor(app, [clinicId])).doctorId;
    reception = await buildPerson(app, "receptionist", { clinicIds: [clinicId] });
  });
  afterAll(async () => {
    await worker?.close();
    await app?.close();
  });

  const queue = () => app.runtime.queues.get("reminders");
  const local = (days: number, time: string) => zonedToInstant(addDays(localDateOf(new Date(), zone), days), time, zone);
  const jobsOf = async (appointmentId: string) => {
    const found: Record<string, Job<ReminderData>> = {};
    for (const kind of ["day-before", "morning", "two-hours"] as ReminderKind[]) {
      const job = await queue().getJob(reminderJobId(appointmentId, kind));
      if (job) found[kind] = job;
    }
    return found;
  };
  /** When a delayed job is due (its add time plus its delay). */
  const dueAt = (job: Job) => job.timestamp + (job.opts.delay ?? 0);

  /** A scheduled appointment of a fresh patient (vise, related to the doctor, so confirm is free) at `start`. */
  async function booked(start: Date) {
    const patient = await buildPatient(app, { tier: "vise", relatedTo: doctorId });
    const slot = await buildSlot(app, { doctorId, clinicId, start, minutes: 30 });
    const held = await hold(app, patient, { slotId: slot.id });
    expect(held.status, JSON.stringify(held.body)).toBe(201);
    expect(await jobsOf(held.body.id)).toEqual({}); // a hold has no reminders
    const confirmed = await call(app, patient, "POST", `/appointments/${held.body.id}/confirm`);
    expect(confirmed.status, JSON.stringify(confirmed.body)).toBe(200);
    return { patient, appointmentId: held.body.id as string };
  }

  type OutboxRow = { id: string; channel: string; status: string; status_detail: string | null; recipient: string; dedupe_key: string; payload: Record<string, string> };
  /** The reminder's outbox rows once the worker has delivered what it could (no email provider here). */
  const outboxOf = (appointmentId: string) =>
    waitFor(async () => {
      const rows = await query<OutboxRow>(
        app,
        `select id, channel, status, status_detail, recipient, dedupe_key, payload from notification_outbox
          where template = 'reminders.appointment' and payload->>'appointmentId' = ? order by channel`,
        [appointmentId],
      );
      return rows.some((row) => row.status === "queued") ? undefined : rows;
    });

  const completed = (job: Job) => jobResult(queue(), job.id!);

  it("confirming plans day-before, morning and two-hours jobs at the right times; cancelling removes them", async () => {
    const start = local(3, "15:00");
    const { patient, appointmentId } = await booked(start);
    const jobs = await jobsOf(appointmentId);
    expect(Object.keys(jobs).sort()).toEqual(["day-before", "morning", "two-hours"]);
    const expected = { "day-before": start.getTime() - 24 * HOUR, morning: local(3, "08:00").getTime(), "two-hours": start.getTime() - 2 * HOUR };
    for (const [kind, job] of Object.entries(jobs)) {
      expect(job.name).toBe("appointment-reminder");
      expect(job.data).toEqual({ appointmentId, kind, startsAt: start.toISOString() });
      expect(await job.getState()).toBe("delayed");
      expect(Math.abs(dueAt(job) - expected[kind as ReminderKind])).toBeLessThan(2_000);
    }
    const cancelled = await call(app, patient, "POST", `/appointments/${appointmentId}/cancel`, { reason: "cannot come" });
    expect(cancelled.status, JSON.stringify(cancelled.body)).toBe(200);
    expect(await jobsOf(appointmentId)).toEqual({});
    expect(await queue().getDelayedCount()).toBe(0);
  });

  it("rescheduling removes the old appointment's jobs and plans the new one's", async () => {
    const { patient, appointmentId } = await booked(local(3, "16:00"));
    const target = await buildSlot(app, { doctorId, clinicId, start: local(4, "10:30"), minutes: 30 });
    const moved = await call(app, patient, "POST", `/appointments/${appointmentId}/reschedule`, { slotId: target.id });
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);
    const next = moved.body.appointment.id as string;
    expect(await jobsOf(appointmentId)).toEqual({});
    const jobs = await jobsOf(next);
    expect(Object.keys(jobs).sort()).toEqual(["day-before", "morning", "two-hours"]);
    expect(jobs["two-hours"]!.data.startsAt).toBe(local(4, "10:30").toISOString());
    expect(Math.abs(dueAt(jobs["two-hours"]!) - local(4, "08:30").getTime())).toBeLessThan(2_000);
    // Staff cancel it: gone too.
    expect((await call(app, reception, "POST", `/appointments/${next}/cancel`, { reason: "clinic" })).status).toBe(200);
    expect(await jobsOf(next)).toEqual({});
  });

  it("a due reminder fires through the worker and writes one outbox row per channel (opted-out ones not_sent)", async () => {
    // Starts 2 h and a minute from now: only the two-hours reminder is still ahead, due in about a
    // minute (still delayed however slow the set-up); promoted, the worker runs it now.
    const start = new Date(Date.now() + 2 * HOUR + 60_000);
    const { patient, appointmentId } = await booked(start);
    const jobs = await jobsOf(appointmentId);
    expect(Object.keys(jobs)).toEqual(["two-hours"]);
    await jobs["two-hours"]!.promote();
    expect(await completed(jobs["two-hours"]!)).toEqual({ outcome: "sent" });
    const rows = await outboxOf(appointmentId);
    expect(rows.map((row) => [row.channel, row.status, row.status_detail])).toEqual([
      ["email", "not_sent", "no provider"],
      ["in_app", "delivered", null],
      ["push", "not_sent", "opted out"],
      ["sms", "not_sent", "opted out"],
    ]);
    expect(rows[0]!.recipient).toBe(patient.user.email);
    expect(rows[1]!.dedupe_key).toBe(`${reminderJobId(appointmentId, "two-hours")}:in_app`);
    const [doctor] = await query<{ display_name: string }>(app, `select display_name from doctor where id = ?`, [doctorId]);
    expect(rows[1]!.payload).toMatchObject({
      kind: "two-hours",
      startsAt: start.toISOString(),
      doctor: doctor!.display_name,
      address: "1 High Street",
      where: expect.stringMatching(/, 1 High Street$/),
    });
    expect(rows[1]!.payload.when).toContain(start.getUTCFullYear().toString());
    // Delivery was queued after commit for the two rows the patient can receive.
    for (const { id } of rows.slice(0, 2)) expect(await app.runtime.queues.get("notifications").getJob(`deliver-${id}`)).toBeTruthy();
    // The same job again (a retry after a crash) writes nothing new.
    const again = await queue().add("appointment-reminder", jobs["two-hours"]!.data, { jobId: `again-${appointmentId}` });
    expect(await completed(again)).toEqual({ outcome: "sent" });
    expect(await outboxOf(appointmentId)).toHaveLength(4);
  }, 40_000);

  it("respects per-channel opt-out: email and sms off → not_sent, in-app still queued", async () => {
    const { patient, appointmentId } = await booked(local(3, "14:00"));
    const opted = await call(app, patient, "PUT", "/me/notification-preferences", { email: false, sms: false, push: false, quietHours: { start: "21:00", end: "08:00" } });
    expect(opted.status, JSON.stringify(opted.body)).toBe(200);
    const job = (await jobsOf(appointmentId))["day-before"]!;
    await job.promote();
    expect(await completed(job)).toEqual({ outcome: "sent" });
    expect((await outboxOf(appointmentId)).map((row) => [row.channel, row.status, row.status_detail])).toEqual([
      ["email", "not_sent", "opted out"],
      ["in_app", "delivered", null],
      ["push", "not_sent", "opted out"],
      ["sms", "not_sent", "opted out"],
    ]);
  });

  it("a stale job (appointment moved or cancelled behind its back) does nothing", async () => {
    const { appointmentId } = await booked(local(3, "17:00"));
    const jobs = await jobsOf(appointmentId);
    await query(app, `update appointment set starts_at = starts_at + interval '1 hour', ends_at = ends_at + interval '1 hour' where id = ?`, [appointmentId]);
    await jobs["day-before"]!.promote();
    expect(await completed(jobs["day-before"]!)).toEqual({ outcome: "stale" });
    await query(app, `update appointment set starts_at = starts_at - interval '1 hour', ends_at = ends_at - interval '1 hour', status = 'cancelled' where id = ?`, [appointmentId]);
    await jobs.morning!.promote();
    expect(await completed(jobs.morning!)).toEqual({ outcome: "stale" });
    expect(await outboxOf(appointmentId)).toEqual([]);
    // An overdue job run after its appointment began (a worker back from an outage) sends nothing either.
    const patient = await buildPatient(app, { tier: "vise" });
    const past = await buildSlot(app, { doctorId, clinicId, start: new Date(Date.now() - HOUR), status: "booked" });
    const begun = await buildAppointment(app, { slot: past, patientId: patient.patientId, status: "scheduled" });
    const late = await queue().add("appointment-reminder", { appointmentId: begun.id, kind: "two-hours", startsAt: past.startsAt.toISOString() }, { jobId: `late-${begun.id}` });
    expect(await completed(late)).toEqual({ outcome: "stale" });
    expect(await outboxOf(begun.id)).toEqual([]);
  });

  it("a leave that auto-cancels the appointment removes its reminders too", async () => {
    const start = local(5, "11:00");
    const { appointmentId } = await booked(start);
    expect(Object.keys(await jobsOf(appointmentId))).toHaveLength(3);
    const leave = await call(app, reception, "POST", `/doctors/${doctorId}/unavailability`, {
      clinicId, kind: "emergency_leave", startsAt: start.toISOString(), endsAt: new Date(start.getTime() + HOUR).toISOString(), reason: "Unwell", autoCancel: true,
    });
    expect(leave.status, JSON.stringify(leave.body)).toBe(201);
    expect(leave.body.cancelledAppointmentIds).toEqual([appointmentId]);
    expect(await jobsOf(appointmentId)).toEqual({});
  });

  it("quiet hours move reminders out of the night (21:00–08:00 in the clinic's zone)", async () => {
    // 07:00: 24 h before is 07:00 the day before → 08:00 then; 2 h before is 05:00 and the window's end
    // (08:00) is after the start → 20:59 the evening before; the morning reminder would be after the start.
    const { appointmentId } = await booked(local(3, "07:00"));
    const jobs = await jobsOf(appointmentId);
    expect(Object.keys(jobs).sort()).toEqual(["day-before", "two-hours"]);
    expect(Math.abs(dueAt(jobs["day-before"]!) - local(2, "08:00").getTime())).toBeLessThan(2_000);
    expect(Math.abs(dueAt(jobs["two-hours"]!) - local(2, "20:59").getTime())).toBeLessThan(2_000);
  });

  describe("re-planned after Redis lost them", () => {
    const noteKey = () => replanStateKey(app.runtime.config.redis.prefix);
    const replan = () => replanReminders(worker.runtime.context);
    const removeJobs = async (appointmentId: string) => {
      for (const job of Object.values(await jobsOf(appointmentId))) await job.remove();
      expect(await jobsOf(appointmentId)).toEqual({});
    };

    it("puts back the missing jobs as planned, leaves the ones still there, and does nothing once its pass finished", async () => {
      const kept = await booked(local(3, "12:00"));
      const lost = await booked(local(4, "12:00"));
      const keptJobs = await jobsOf(kept.appointmentId);
      const lostJobs = await jobsOf(lost.appointmentId);
      // The loss: one appointment's jobs and the note of a finished pass are gone.
      await removeJobs(lost.appointmentId);
      await app.runtime.redis.del(noteKey());

      const report = await replan();
      expect(report.complete).toBe(true);
      expect(report.appointments).toBeGreaterThanOrEqual(2);
      const back = await jobsOf(lost.appointmentId);
      expect(Object.keys(back).sort()).toEqual(Object.keys(lostJobs).sort());
      for (const [kind, job] of Object.entries(back)) {
        expect(job.data).toEqual(lostJobs[kind]!.data);
        expect(Math.abs(dueAt(job) - dueAt(lostJobs[kind]!))).toBeLessThan(2_000);
      }
      // Jobs that were still there are not added again (the same add time).
      for (const [kind, job] of Object.entries(await jobsOf(kept.appointmentId))) expect(job.timestamp).toBe(keptJobs[kind]!.timestamp);

      expect(await replan()).toEqual({ appointments: 0, complete: true });
      expect(await jobsOf(lost.appointmentId)).toHaveProperty("two-hours");
    });

    it("starts over when Redis restarted (another run id), and a pass part-way continues from its place", async () => {
      const first = await booked(local(5, "12:00"));
      const second = await booked(local(5, "12:30"));
      // A note from another run of the Redis server (restored from an older snapshot, say): not trusted.
      await app.runtime.redis.hset(noteKey(), { runId: "another-run", complete: "true", after: "" });
      await removeJobs(first.appointmentId);
      expect((await replan()).appointments).toBeGreaterThanOrEqual(2);
      expect(Object.keys(await jobsOf(first.appointmentId))).not.toHaveLength(0);

      // Part-way: the note says the pass got as far as `first`; what comes after it is planned next.
      const runId = await app.runtime.redis.hget(noteKey(), "runId");
      await removeJobs(first.appointmentId);
      await removeJobs(second.appointmentId);
      await app.runtime.redis.hset(noteKey(), { runId: runId!, complete: "false", after: `${local(5, "12:00").toISOString()}|${first.appointmentId}` });
      expect((await replan()).complete).toBe(true);
      expect(await jobsOf(first.appointmentId)).toEqual({});
      expect(Object.keys(await jobsOf(second.appointmentId))).not.toHaveLength(0);
    });
  });
});
