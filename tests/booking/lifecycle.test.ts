/**
 * The slot and appointment lifecycle and the loyalty hook, run by a real worker runtime (ROLE=worker)
 * next to an api runtime on the same PostgreSQL and Redis: `slot-lifecycle` expires past unbooked
 * slots and flags (or marks) missed visits once; completing an appointment awards loyalty points once.
 */
import type { Socket } from "socket.io-client";
import { afterEach, describe, expect, it } from "vitest";
import { LIFECYCLE_JOB, PROBABLE_NO_SHOW_EVENT, type LifecycleReport } from "../../server/src/modules/booking/appointment-lifecycle";
import { LOYALTY_AWARD_JOB, loyaltyJobId } from "../../server/src/modules/loyalty/loyalty.service";
import { jobResult, listen, seqOf, subscribe, useApiAndWorker, waitFor } from "../support/harness";
import { buildAppointment, buildClinicWithDoctor, buildPatient, buildSlot } from "../support/factories";
import { call } from "../support/api";
import { count, query } from "../support/db";

const MINUTE = 60_000;

describe("slot and appointment lifecycle", () => {
  // The schedule runs once at start (on an empty database) and then hourly: the tests run it themselves.
  // The worker node runs the jobs; the test drives the api node.
  const { api, worker } = useApiAndWorker({ RATE_LIMIT_MAX: "100000", LOG_LEVEL: "error", LIFECYCLE_EVERY_SECONDS: "3600" });
  const sockets: Socket[] = [];
  afterEach(() => {
    for (const socket of sockets.splice(0)) socket.disconnect();
  });

  let runs = 0;
  /** Adds one run of a job and waits for the worker to finish it and deliver its events. */
  async function run<T>(queue: "maintenance" | "booking", name: string, data: object = {}, jobId = `${name}-test-${(runs += 1)}`): Promise<T> {
    await api.runtime.queues.get(queue).add(name, data, { jobId });
    return jobResult<T>(api.runtime.queues.get(queue), jobId, { settle: [worker] });
  }
  const lifecycle = () => run<LifecycleReport>("maintenance", LIFECYCLE_JOB);
  const slotRow = async (id: string) => (await query<{ status: string; version: number }>(api, `select status, version from slot where id = ?`, [id]))[0]!;
  const appointmentRow = async (id: string) =>
    (await query<{ status: string; version: number; probable_no_show_at: Date | null }>(api, `select status, version, probable_no_show_at from appointment where id = ?`, [id]))[0]!;

  it("is one repeatable schedule on the maintenance queue, every LIFECYCLE_EVERY_SECONDS", async () => {
    const schedulers = await api.runtime.queues.get("maintenance").getJobSchedulers();
    expect(schedulers.find((scheduler) => scheduler.name === LIFECYCLE_JOB)?.every).toBe(3_600_000);
  });

  it("expires past unbooked slots (free, and held with a lapsed hold, whose appointment expires), not booked or future ones, and publishes them", async () => {
    const { clinicId, doctor } = await buildClinicWithDoctor(api);
    const patient = await buildPatient(api);
    const ago = (minutes: number) => new Date(Date.now() - minutes * MINUTE);
    const spec = { doctorId: doctor.doctorId, clinicId };
    const pastFree = await buildSlot(api, { ...spec, start: ago(120) });
    const startedFree = await buildSlot(api, { ...spec, start: ago(5), minutes: 30 });
    const pastBooked = await buildSlot(api, { ...spec, start: ago(90), status: "booked" });
    await buildAppointment(api, { slot: pastBooked, patientId: patient.patientId, status: "scheduled" });
    const pastHeld = await buildSlot(api, { ...spec, start: ago(60), status: "held", holdExpiresAt: ago(1) });
    const lapsed = await buildAppointment(api, { slot: pastHeld, patientId: patient.patientId, status: "pending" });
    await query(api, `update appointment set hold_expires_at = ? where id = ?`, [ago(1), lapsed.id]);
    const stillHeld = await buildSlot(api, { ...spec, start: ago(30), status: "held", holdExpiresAt: new Date(Date.now() + 5 * MINUTE) });
    const live = await buildAppointment(api, { slot: stillHeld, patientId: patient.patientId, status: "pending" });
    await query(api, `update appointment set hold_expires_at = ? where id = ?`, [new Date(Date.now() + 5 * MINUTE), live.id]);
    const future = await buildSlot(api, { ...spec, start: new Date(Date.now() + 60 * MINUTE) });
    const seqBefore = await seqOf(api, `slots:${doctor.doctorId}`);

    const first = await lifecycle();
    expect(first.holdsExpired).toBe(1);
    expect(first.slotsExpired).toBe(3);
    for (const slot of [pastFree, startedFree, pastHeld]) expect(await slotRow(slot.id)).toMatchObject({ status: "expired" });
    expect(await slotRow(pastBooked.id)).toMatchObject({ status: "booked", version: 1 });
    expect(await slotRow(stillHeld.id)).toMatchObject({ status: "held", version: 1 });
    expect(await slotRow(future.id)).toMatchObject({ status: "available", version: 1 });
    expect(await appointmentRow(lapsed.id)).toMatchObject({ status: "expired" });
    expect(await appointmentRow(live.id)).toMatchObject({ status: "pending" });
    // held → available (the hold expiry) → expired: two slot events, plus one for each free slot.
    expect((await seqOf(api, `slots:${doctor.doctorId}`)) - seqBefore).toBe(4);

    const second = await lifecycle();
    expect(second).toMatchObject({ holdsExpired: 0, slotsExpired: 0 });
    expect(await slotRow(pastFree.id)).toMatchObject({ status: "expired", version: 2 });
    expect((await seqOf(api, `slots:${doctor.doctorId}`)) - seqBefore).toBe(4);
  });

  it("flags a scheduled appointment not checked in by its end plus the grace as a probable no-show, once, live to staff", async () => {
    const { clinicId, doctor, reception } = await buildClinicWithDoctor(api);
    const patient = await buildPatient(api);
    const staff = await listen(api, reception.token, sockets);
    expect((await subscribe(staff.socket, `clinic:${clinicId}`)).ok).toBe(true);
    const mine = await listen(api, patient.token, sockets);
    expect((await subscribe(mine.socket, "me")).ok).toBe(true);
    const ended = async (minutesAgo: number) => {
      const slot = await buildSlot(api, { doctorId: doctor.doctorId, clinicId, start: new Date(Date.now() - (minutesAgo + 5) * MINUTE), minutes: 5, status: "booked" });
      return buildAppointment(api, { slot, patientId: patient.patientId, status: "scheduled" });
    };
    const missed = await ended(20);
    const withinGrace = await ended(10);
    const checkedIn = await ended(40);
    await query(api, `update appointment set status = 'checked_in' where id = ?`, [checkedIn.id]);

    const first = await lifecycle();
    expect(first.flagged).toBe(1);
    const flagged = await appointmentRow(missed.id);
    expect(flagged.status).toBe("scheduled");
    expect(flagged.probable_no_show_at).not.toBeNull();
    expect(await appointmentRow(withinGrace.id)).toMatchObject({ status: "scheduled", probable_no_show_at: null });
    expect(await appointmentRow(checkedIn.id)).toMatchObject({ status: "checked_in", probable_no_show_at: null });
    const heard = await waitFor(() => staff.of(`clinic:${clinicId}`).find((event) => event.type === PROBABLE_NO_SHOW_EVENT));
    expect(heard.data).toMatchObject({ appointmentId: missed.id, status: "scheduled", version: flagged.version });
    expect(await count(api, `select count(*) n from audit_event where entity_id = ? and action = 'booking.appointment.probable-no-show'`, [missed.id])).toBe(1);
    // Staff reading it afterwards (a screen that reconnects) see the flag in the view.
    const read = await call(api, reception, "GET", `/appointments/${missed.id}`);
    expect(read.body.probableNoShowAt).toBe(new Date(flagged.probable_no_show_at!).toISOString());
    expect((await call(api, reception, "GET", `/appointments/${withinGrace.id}`)).body.probableNoShowAt).toBeNull();

    // The flag is a booking change near today: the worker recomputes the doctor's ETAs, once, and
    // publishes them on the clinic's topic too; the count below starts after that.
    await waitFor(() => staff.of(`clinic:${clinicId}`).find((event) => event.type === "eta.updated"));
    const seqAfterFirst = await seqOf(api, `clinic:${clinicId}`);
    const second = await lifecycle();
    expect(second.flagged).toBe(0);
    expect(await appointmentRow(missed.id)).toEqual(flagged);
    expect(await seqOf(api, `clinic:${clinicId}`)).toBe(seqAfterFirst);
    // The flag is for staff: the doctor's topic carries it too, the patient's own topic never does.
    expect(staff.of(`clinic:${clinicId}`).filter((event) => event.type === PROBABLE_NO_SHOW_EVENT)).toHaveLength(1);
    expect(await seqOf(api, `doctor:${doctor.doctorId}`)).toBeGreaterThan(0);
    expect(mine.events.filter((event) => event.type === PROBABLE_NO_SHOW_EVENT)).toHaveLength(0);
  });

  it("with autoMarkNoShow marks it no_show through the state machine, audited and published, once", async () => {
    const { clinicId, doctor, reception } = await buildClinicWithDoctor(api);
    await query(api, `update clinic set settings = ? where id = ?`, [JSON.stringify({ autoMarkNoShow: true, noShowGraceMinutes: 5 }), clinicId]);
    const patient = await buildPatient(api);
    const staff = await listen(api, reception.token, sockets);
    await subscribe(staff.socket, `clinic:${clinicId}`);
    const slot = await buildSlot(api, { doctorId: doctor.doctorId, clinicId, start: new Date(Date.now() - 25 * MINUTE), status: "booked" });
    const missed = await buildAppointment(api, { slot, patientId: patient.patientId, status: "scheduled" });

    const first = await lifecycle();
    expect(first.markedNoShow).toBe(1);
    const marked = await appointmentRow(missed.id);
    expect(marked.status).toBe("no_show");
    expect(marked.probable_no_show_at).not.toBeNull();
    expect(await slotRow(slot.id)).toMatchObject({ status: "booked" });
    expect(await count(api, `select count(*) n from audit_event where entity_id = ? and action = 'booking.appointment.auto-no-show'`, [missed.id])).toBe(1);
    const heard = await waitFor(() => staff.of(`clinic:${clinicId}`).find((event) => event.type === "appointment.status_changed"));
    expect(heard.data).toMatchObject({ appointmentId: missed.id, status: "no_show", version: marked.version });

    expect((await lifecycle()).markedNoShow).toBe(0);
    expect(await appointmentRow(missed.id)).toEqual(marked);
  });

  it("completing an appointment awards the clinic's loyalty points exactly once, however often the job runs", async () => {
    const { clinicId, doctor, reception } = await buildClinicWithDoctor(api);
    const patient = await buildPatient(api);
    const slot = await buildSlot(api, { doctorId: doctor.doctorId, clinicId, start: new Date(Date.now() + 30 * MINUTE), status: "booked" });
    const visit = await buildAppointment(api, { slot, patientId: patient.patientId, status: "scheduled" });

    const completed = await call(api, reception, "POST", `/appointments/${visit.id}/status`, { status: "completed" });
    expect(completed.status, JSON.stringify(completed.body)).toBe(200);
    expect(await jobResult(api.runtime.queues.get("booking"), loyaltyJobId(visit.id))).toEqual({ outcome: "awarded", points: 10 });
    const ledger = () =>
      query<{ patient_id: string; clinic_id: string; kind: string; points: number }>(api, `select patient_id, clinic_id, kind, points from loyalty_points_entry where appointment_id = ?`, [visit.id]);
    expect(await ledger()).toEqual([{ patient_id: patient.patientId, clinic_id: clinicId, kind: "award", points: 10 }]);

    // A retry or a duplicate (another writer's hook, a crash before the job was marked done) adds nothing.
    expect(await run("booking", LOYALTY_AWARD_JOB, { appointmentId: visit.id })).toEqual({ outcome: "already_awarded" });
    expect(await ledger()).toHaveLength(1);
  });

  it("a clinic rate of 0 awards nothing, and an appointment that is not completed earns nothing", async () => {
    const { clinicId, doctor, reception } = await buildClinicWithDoctor(api);
    await query(api, `update clinic set settings = ? where id = ?`, [JSON.stringify({ loyaltyPointsPerVisit: 0 }), clinicId]);
    const patient = await buildPatient(api);
    const slot = await buildSlot(api, { doctorId: doctor.doctorId, clinicId, start: new Date(Date.now() + 45 * MINUTE), status: "booked" });
    const visit = await buildAppointment(api, { slot, patientId: patient.patientId, status: "scheduled" });
    expect((await run<{ outcome: string }>("booking", LOYALTY_AWARD_JOB, { appointmentId: visit.id })).outcome).toBe("not_completed");

    expect((await call(api, reception, "POST", `/appointments/${visit.id}/status`, { status: "completed" })).status).toBe(200);
    expect(await jobResult(api.runtime.queues.get("booking"), loyaltyJobId(visit.id))).toEqual({ outcome: "no_points" });
    expect(await count(api, `select count(*) n from loyalty_points_entry where patient_id = ?`, [patient.patientId])).toBe(0);
  });
});
