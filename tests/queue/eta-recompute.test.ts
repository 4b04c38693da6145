/**
 * ETA recomputation through a real worker (ROLE=worker) next to an api runtime: an overrunning
 * consultation moves the ETAs later, stores them, publishes `eta.updated` on real sockets and tells
 * the slipped patients exactly once; a repeat tells nobody; a gain tells the next patient; the
 * periodic sweep recomputes active doctors.
 */
import { afterAll, describe, expect, it } from "vitest";
import type { Socket } from "socket.io-client";
import { etaChangedSchema, etaMovedSchema, etaUpdatedSchema, type EventEnvelope, localDateOf, localTimeOf, notificationChannels } from "@clinic/shared";
import { ETA_SWEEP_JOB } from "../../server/src/modules/queue/eta.jobs";
import { ETA_RECOMPUTE_JOB, queueEtaRecompute } from "../../server/src/modules/queue/eta.trigger";
import { jobResult, listen, settle, subscribe, useApiAndWorker, waitFor } from "../support/harness";
import { buildAppointment, buildDoctor, buildMiddayClinic, buildPerson, buildQueueEntry, buildSlot, type TestPerson } from "../support/factories";
import { call } from "../support/api";
import { query } from "../support/db";

const MIN = 60_000;

describe("ETA recomputation (worker)", () => {
  // The worker node runs the jobs; the test drives the api node.
  const { api } = useApiAndWorker({ RATE_LIMIT_MAX: "100000", LOG_LEVEL: "error", ETA_EVERY_SECONDS: "3600" });
  const sockets: Socket[] = [];
  afterAll(async () => {
    for (const socket of sockets) socket.close();
  });

  let runs = 0;
  /** One eta-recompute run by the worker; its summary. */
  async function recompute(clinicId: string, doctorId: string): Promise<Record<string, unknown>> {
    runs += 1;
    const id = `eta-test-${runs}`;
    const queue = api.runtime.queues.get("maintenance");
    const job = await queue.add(ETA_RECOMPUTE_JOB, { clinicId, doctorId }, { jobId: id });
    const state = await waitFor(async () => {
      const now = await job.getState();
      return now === "completed" || now === "failed" ? now : undefined;
    }, 20_000);
    const done = (await queue.getJob(id))!;
    expect([state, done.failedReason]).toEqual(["completed", undefined]);
    return done.returnvalue as Record<string, unknown>;
  }

  /**
   * A doctor's day around now (T): R in the room since T-60 (a walk-in: 15 minutes expected, so
   * overrunning by 45); A1 checked in for T-40 (a 30-minute service); W1 a walk-in since T-45; A2
   * booked at T+5 and A3 at T+50, not arrived. Slots every 15 minutes from T-40, so no breaks.
   */
  async function overrunningDay() {
    const { id: clinicId, timeZone } = await buildMiddayClinic(api);
    const serviceDay = localDateOf(new Date(), timeZone);
    const doctor = await buildDoctor(api, [clinicId]);
    const reception = await buildPerson(api, "receptionist", { clinicIds: [clinicId] });
    const people: Record<"r" | "a1" | "w1" | "a2" | "a3", TestPerson> = {
      r: await buildPerson(api, "patient"),
      a1: await buildPerson(api, "patient"),
      w1: await buildPerson(api, "patient"),
      a2: await buildPerson(api, "patient"),
      a3: await buildPerson(api, "patient"),
    };
    // On a minute, as slots are: ETAs are stored to the minute.
    const T = Math.floor(Date.now() / MIN) * MIN;
    const slots = [];
    for (let i = 0; i < 8; i += 1) {
      slots.push(await buildSlot(api, { doctorId: doctor.doctorId, clinicId, start: new Date(T - 40 * MIN + i * 15 * MIN), status: "booked" }));
    }
    const [serviceRow] = await query<{ id: string }>(
      api,
      `insert into clinic_service (id, clinic_id, name, duration_minutes, colour, created_at, updated_at)
       values (gen_random_uuid(), ?, 'Long consultation', 30, '#336699', now(), now()) returning id`,
      [clinicId],
    );
    const a1 = await buildAppointment(api, { slot: slots[0]!, patientId: people.a1.patientId! });
    await query(api, `update appointment set status = 'checked_in', service_id = ? where id = ?`, [serviceRow!.id, a1.id]);
    const a2 = await buildAppointment(api, { slot: slots[3]!, patientId: people.a2.patientId! });
    const a3 = await buildAppointment(api, { slot: slots[6]!, patientId: people.a3.patientId! });
    const base = { clinicId, serviceDay, doctorId: doctor.doctorId };
    const r = await buildQueueEntry(api, { ...base, patientId: people.r.patientId!, status: "in_room", arrivedAgo: 70, calledAgo: 61, startedAgo: 60 });
    const e1 = await buildQueueEntry(api, { ...base, patientId: people.a1.patientId!, kind: "appointment", appointmentId: a1.id, arrivedAgo: 50 });
    const w1 = await buildQueueEntry(api, { ...base, patientId: people.w1.patientId!, arrivedAgo: 45 });
    return { clinicId, timeZone, doctor, reception, people, a1, a2, a3, r, e1, w1 };
  }

  const outbox = (clinicId: string) =>
    query<{ user_id: string; template: string; dedupe_key: string; payload: Record<string, unknown> }>(
      api,
      `select user_id, template, dedupe_key, payload from notification_outbox where clinic_id = ? order by created_at, dedupe_key`,
      [clinicId],
    );

  it("an overrun moves the ETAs later, stores and publishes them, and tells the slipped patients exactly once", async () => {
    const day = await overrunningDay();
    const staff = await listen(api, day.reception.token, sockets);
    for (const topic of [`doctor:${day.doctor.doctorId}`, `clinic:${day.clinicId}`, `display:${day.clinicId}`]) {
      expect((await subscribe(staff.socket, topic)).ok).toBe(true);
    }
    const a1Patient = await listen(api, day.people.a1.token, sockets);
    expect((await subscribe(a1Patient.socket, "me")).ok).toBe(true);

    // Through the trigger queue writers call after their commit.
    await queueEtaRecompute(api.runtime, [{ clinicId: day.clinicId, doctorId: day.doctor.doctorId }]);
    await settle(() => staff.of(`doctor:${day.doctor.doctorId}`).some((event) => event.type === "eta.updated"));
    const event = etaUpdatedSchema.parse(staff.of(`doctor:${day.doctor.doctorId}`).find((e) => e.type === "eta.updated")!.data);
    expect(event.state).toBe("overrunning");
    // A1 was due at T-40 and is seen about now.
    expect(event.lateByMinutes).toBeGreaterThanOrEqual(39);
    const order = event.entries.map((item) => ("entryId" in item ? item.entryId : item.appointmentId));
    expect(order).toEqual([day.e1.id, day.a2.id, day.w1.id, day.a3.id]);
    const at = Object.fromEntries(event.entries.map((item) => ["entryId" in item ? item.entryId : item.appointmentId, Date.parse(item.expectedAt)]));
    // A1's 30-minute service, then A2's 15 minutes, then W1.
    expect(at[day.a2.id]! - at[day.e1.id]!).toBe(30 * MIN);
    expect(at[day.w1.id]! - at[day.e1.id]!).toBe(45 * MIN);
    expect(at[day.a3.id]! - at[day.e1.id]!).toBe(60 * MIN);
    expect(event.metrics).toMatchObject({ waiting: 2, served: 0 });

    // Stored where screens and the appointment views read them.
    const [entryRow] = await query<{ expected_at: Date }>(api, `select expected_at from queue_entry where id = ?`, [day.e1.id]);
    expect(new Date(entryRow!.expected_at).getTime()).toBe(at[day.e1.id]);
    const stored = await query<{ id: string; expected_start_at: Date }>(api, `select id, expected_start_at from appointment where id in (?, ?)`, [day.a2.id, day.a3.id]);
    for (const row of stored) expect(new Date(row.expected_start_at).getTime()).toBe(at[row.id]);
    // The patient reads it on their appointment.
    const mine = await call(api, day.people.a2, "GET", `/appointments/${day.a2.id}`);
    expect(mine.body.expectedStartAt).toBe(new Date(at[day.a2.id]!).toISOString());

    // The same event on the clinic topic; the display gets tickets and times only.
    expect(staff.of(`clinic:${day.clinicId}`).find((e) => e.type === "eta.updated")?.data).toEqual(event);
    const display = staff.of(`display:${day.clinicId}`).find((e) => e.type === "eta.updated")!.data as { entries: Record<string, unknown>[] };
    expect(display.entries.map((entry) => Object.keys(entry).sort())).toEqual([["expectedAt", "ticket"], ["expectedAt", "ticket"]]);
    expect(display.entries.map((entry) => entry.ticket)).toEqual([day.e1.ticket, day.w1.ticket]);
    const displayJson = JSON.stringify(staff.of(`display:${day.clinicId}`));
    for (const person of Object.values(day.people)) expect(displayJson).not.toContain(person.user.displayName);

    // Slipped by more than 15 minutes: A1 (+40) and A2 (+25). Not A3 (+10), W1 (first ETA), R (in the room).
    const rows = await outbox(day.clinicId);
    const byUser = (person: TestPerson) => rows.filter((row) => row.user_id === person.user.id);
    for (const [person, appointmentId] of [[day.people.a1, day.a1.id], [day.people.a2, day.a2.id]] as const) {
      const mine = byUser(person);
      expect(mine).toHaveLength(notificationChannels.length);
      expect(new Set(mine.map((row) => row.template))).toEqual(new Set(["queue.eta-slipped"]));
      expect(new Set(mine.map((row) => row.dedupe_key.replace(/:[a-z_]+$/, "")))).toHaveLength(1);
      expect(mine[0]!.dedupe_key.startsWith(`eta-${appointmentId}-`)).toBe(true);
    }
    const a2Payload = byUser(day.people.a2)[0]!.payload;
    expect(a2Payload.time).toBe(localTimeOf(new Date(at[day.a2.id]!), day.timeZone));
    expect(a2Payload.previous).toBe(localTimeOf(day.a2.startsAt, day.timeZone));
    for (const person of [day.people.a3, day.people.w1, day.people.r]) expect(byUser(person)).toEqual([]);

    // The patient's own topic carries the change.
    await settle(() => a1Patient.of(`me:${day.people.a1.user.id}`).some((e) => e.type === "eta.changed"));
    const changed = etaChangedSchema.parse(a1Patient.of(`me:${day.people.a1.user.id}`).find((e) => e.type === "eta.changed")!.data);
    expect(changed).toMatchObject({ appointmentId: day.a1.id, entryId: day.e1.id, direction: "later" });
    expect(Date.parse(changed.previousExpectedAt)).toBe(day.a1.startsAt.getTime());

    // A second recompute with nothing changed publishes again but tells nobody.
    const before = staff.of(`doctor:${day.doctor.doctorId}`).length;
    const again = await recompute(day.clinicId, day.doctor.doctorId);
    expect(again).toMatchObject({ outcome: "done", notified: 0 });
    expect(await outbox(day.clinicId)).toHaveLength(rows.length);
    await settle(() => staff.of(`doctor:${day.doctor.doctorId}`).length > before);
  });

  it("one time everywhere: a checked-in patient's appointment, their queue entry and the display's ticket carry the same ETA, and their me hears each move", async () => {
    const day = await overrunningDay();
    const a1Patient = await listen(api, day.people.a1.token, sockets);
    const a2Patient = await listen(api, day.people.a2.token, sockets);
    for (const patient of [a1Patient, a2Patient]) expect((await subscribe(patient.socket, "me")).ok).toBe(true);
    // Before the run A1's appointment still carries an estimate from before they checked in.
    await query(api, `update appointment set expected_start_at = starts_at where id = ?`, [day.a1.id]);

    expect(await recompute(day.clinicId, day.doctor.doctorId)).toMatchObject({ outcome: "done" });
    const [entry] = await query<{ expected_at: Date }>(api, `select expected_at from queue_entry where id = ?`, [day.e1.id]);
    const expectedAt = new Date(entry!.expected_at).toISOString();
    expect(Date.parse(expectedAt)).toBeGreaterThan(day.a1.startsAt.getTime());
    // The patient's appointment (REST), the board's entry (the clinic queue) and the display's ticket: one instant.
    expect((await call(api, day.people.a1, "GET", `/appointments/${day.a1.id}`)).body.expectedStartAt).toBe(expectedAt);
    const board = await call(api, day.reception, "GET", `/clinics/${day.clinicId}/queue`);
    expect(board.body.items.find((item: { id: string }) => item.id === day.e1.id).expectedAt).toBe(expectedAt);
    const display = await call(api, day.reception, "GET", `/clinics/${day.clinicId}/display`);
    expect(display.body.next.find((ticket: { ticket: string }) => ticket.ticket === day.e1.ticket)).toMatchObject({ expectedAt });

    // Each patient whose estimate moved hears `eta.moved` on their own topic, with that time.
    const moved = (patient: typeof a1Patient, userId: string) => patient.of(`me:${userId}`).filter((e) => e.type === "eta.moved").map((e) => etaMovedSchema.parse(e.data));
    await settle(() => moved(a1Patient, day.people.a1.user.id).length > 0 && moved(a2Patient, day.people.a2.user.id).length > 0);
    expect(moved(a1Patient, day.people.a1.user.id)).toEqual([{ appointmentId: day.a1.id, entryId: day.e1.id, expectedAt }]);
    const [a2Row] = await query<{ expected_start_at: Date }>(api, `select expected_start_at from appointment where id = ?`, [day.a2.id]);
    expect(moved(a2Patient, day.people.a2.user.id)).toEqual([{ appointmentId: day.a2.id, entryId: null, expectedAt: new Date(a2Row!.expected_start_at).toISOString() }]);

    // Nothing moved on a second run: nobody hears it again.
    expect(await recompute(day.clinicId, day.doctor.doctorId)).toMatchObject({ outcome: "done", stored: 0 });
  });

  it("a gain tells the next patient they may be seen earlier", async () => {
    const day = await overrunningDay();
    expect(await recompute(day.clinicId, day.doctor.doctorId)).toMatchObject({ notified: 2 });
    // A1 and W1 leave: A2, told about T+30, is now expected at its booked T+5.
    await query(api, `update queue_entry set status = 'left', left_at = now() where id in (?, ?)`, [day.e1.id, day.w1.id]);
    expect(await recompute(day.clinicId, day.doctor.doctorId)).toMatchObject({ notified: 1 });
    const gained = (await outbox(day.clinicId)).filter((row) => row.template === "queue.eta-gained");
    expect(gained).toHaveLength(notificationChannels.length);
    expect(new Set(gained.map((row) => row.user_id))).toEqual(new Set([day.people.a2.user.id]));
    expect(gained[0]!.payload.time).toBe(localTimeOf(day.a2.startsAt, day.timeZone));
    const [a2] = await query<{ expected_start_at: Date }>(api, `select expected_start_at from appointment where id = ?`, [day.a2.id]);
    // Never before the booked time of a patient who has not arrived.
    expect(new Date(a2!.expected_start_at).getTime()).toBe(day.a2.startsAt.getTime());
    expect(await recompute(day.clinicId, day.doctor.doctorId)).toMatchObject({ notified: 0 });
  });

  it("follows the clinic's etaSlipNotifyMinutes", async () => {
    const day = await overrunningDay();
    await query(api, `update clinic set settings = settings || '{"etaSlipNotifyMinutes": 30}'::jsonb where id = ?`, [day.clinicId]);
    expect(await recompute(day.clinicId, day.doctor.doctorId)).toMatchObject({ notified: 1 });
    // A1 slipped 40 minutes (> 30): told; A2 25 (< 30): not.
    expect(new Set((await outbox(day.clinicId)).map((row) => row.user_id))).toEqual(new Set([day.people.a1.user.id]));
  });

  it("a booking change today (a cancellation) recomputes the doctor's ETAs through the after-commit hook", async () => {
    const day = await overrunningDay();
    expect(await recompute(day.clinicId, day.doctor.doctorId)).toMatchObject({ outcome: "done" });
    const staff = await listen(api, day.reception.token, sockets);
    expect((await subscribe(staff.socket, `doctor:${day.doctor.doctorId}`)).ok).toBe(true);
    const cancelled = await call(api, day.reception, "POST", `/appointments/${day.a2.id}/cancel`, { reason: "Cannot come" });
    expect(cancelled.status, JSON.stringify(cancelled.body)).toBe(200);
    await settle(() => staff.of(`doctor:${day.doctor.doctorId}`).some((event) => event.type === "eta.updated"));
    const event = etaUpdatedSchema.parse(staff.of(`doctor:${day.doctor.doctorId}`).find((e) => e.type === "eta.updated")!.data);
    const ids = event.entries.map((item) => ("entryId" in item ? item.entryId : item.appointmentId));
    expect(ids).toEqual([day.e1.id, day.w1.id, day.a3.id]);
  });

  it("the periodic sweep is one schedule and recomputes every doctor with an active queue", async () => {
    const schedulers = await api.runtime.queues.get("maintenance").getJobSchedulers();
    expect(schedulers.find((scheduler) => scheduler.name === ETA_SWEEP_JOB)?.every).toBe(3_600_000);

    const day = await overrunningDay();
    const staff = await listen(api, day.reception.token, sockets);
    expect((await subscribe(staff.socket, `doctor:${day.doctor.doctorId}`)).ok).toBe(true);
    const queue = api.runtime.queues.get("maintenance");
    await queue.add(ETA_SWEEP_JOB, {}, { jobId: "eta-sweep-test" });
    expect((await jobResult<{ doctors: number }>(queue, "eta-sweep-test")).doctors).toBeGreaterThanOrEqual(1);
    await settle(() => staff.of(`doctor:${day.doctor.doctorId}`).some((event: EventEnvelope) => event.type === "eta.updated"));
    const [row] = await query<{ expected_at: Date | null }>(api, `select expected_at from queue_entry where id = ?`, [day.w1.id]);
    expect(row!.expected_at).not.toBeNull();
  });
});
