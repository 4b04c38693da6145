/**
 * Queue test fixtures: an app, a clinic whose local time is around midday (so "today" and a few
 * hours either side are the same local day whenever the suite runs), doctors, patients with
 * distinctive names, appointments of today and walk-in slots, written straight to the database.
 */
import { randomUUID } from "node:crypto";
import { Clinic } from "../../server/src/modules/directory/clinic.entity";
import { Slot } from "../../server/src/modules/scheduling/slot.entity";
import type { TestApp } from "../support/harness";
import { createClinic, createPerson, type TestPerson } from "../support/identity";
import { call, doctorAt, fork, query, type Reply } from "../scheduling/support-rules";

export { call, doctorAt, query, type Reply };
export { startSchedulingApp as startQueueApp } from "../scheduling/support-rules";

const MINUTE = 60_000;

/** An `Etc/GMT±N` zone in which it is now between 12:00 and 13:00. */
export function middayZone(now = new Date()): string {
  const offset = 12 - now.getUTCHours();
  return offset === 0 ? "UTC" : offset > 0 ? `Etc/GMT-${offset}` : `Etc/GMT+${-offset}`;
}

export async function middayClinic(app: TestApp, settings: Record<string, unknown> = {}): Promise<Clinic> {
  const clinic = await createClinic(app.runtime);
  const timeZone = middayZone();
  await fork(app).nativeUpdate(Clinic, { id: clinic.id }, { timeZone, settings: settings as never });
  clinic.timeZone = timeZone;
  return clinic;
}

export type Patient = TestPerson & { patientId: string; name: string; phone: string };

let phoneCounter = Math.floor(Math.random() * 1_000_000);
/** A patient with a full name and phone number that a display must never show. */
export async function patientNamed(app: TestApp, name = `Zelda ${randomUUID().slice(0, 6)} Quartermain`): Promise<Patient> {
  const person = await createPerson(app.runtime, "patient");
  const phone = `+4477009${String(phoneCounter++ % 1_000_000).padStart(6, "0")}`;
  await query(app, `update patient set full_name = ?, phone = ? where id = ?`, [name, phone, person.patientId]);
  await query(app, `update user_account set phone = ? where id = ?`, [phone, person.user.id]);
  return { ...person, patientId: person.patientId!, name, phone };
}

/** A slot starting `fromNowMinutes` from now (negative: already started). */
export async function slotAt(app: TestApp, s: { doctorId: string; clinicId: string; fromNowMinutes: number; minutes?: number; kind?: "regular" | "walk_in" | "emergency"; status?: "available" | "booked"; startsAt?: Date }): Promise<string> {
  const em = fork(app);
  const start = s.startsAt ?? new Date(Date.now() + s.fromNowMinutes * MINUTE);
  const slot = em.create(Slot, {
    doctor: s.doctorId,
    clinic: s.clinicId,
    service: null,
    startsAt: start,
    endsAt: new Date(start.getTime() + (s.minutes ?? 15) * MINUTE),
    status: s.status ?? "available",
    kind: s.kind ?? "regular",
    tags: [],
    holdExpiresAt: null,
    // Fixtures place appointments and walk-in slots freely; overbooked slots are exempt from the overlap constraint.
    overbooked: true,
    version: 1,
  });
  await em.flush();
  return slot.id;
}

/** A scheduled appointment of today on a booked slot of its own. */
export async function appointmentAt(app: TestApp, a: { doctorId: string; clinicId: string; patientId: string; fromNowMinutes: number; minutes?: number }): Promise<string> {
  const minutes = a.minutes ?? 15;
  const slotId = await slotAt(app, { ...a, minutes, status: "booked" });
  const [row] = await query<{ id: string }>(
    app,
    `insert into appointment (id, slot_id, patient_id, doctor_id, clinic_id, starts_at, ends_at, status, payment_status, fee_minor, transaction_fee_minor, currency, version, created_at, updated_at)
     select gen_random_uuid(), id, ?, doctor_id, clinic_id, starts_at, ends_at, 'scheduled', 'not_required', 0, 0, 'GBP', 1, now(), now() from slot where id = ? returning id`,
    [a.patientId, slotId],
  );
  return row!.id;
}

export async function staffCheckIn(app: TestApp, reception: TestPerson, clinicId: string, appointmentId: string): Promise<Reply> {
  return call(app, reception, "POST", `/clinics/${clinicId}/queue/check-in`, { appointmentId });
}

export async function walkIn(app: TestApp, reception: TestPerson, clinicId: string, body: Record<string, unknown>): Promise<Reply> {
  return call(app, reception, "POST", `/clinics/${clinicId}/queue/walk-ins`, body);
}

export async function callNext(app: TestApp, person: TestPerson, doctorId: string, body: Record<string, unknown> = {}): Promise<Reply> {
  return call(app, person, "POST", `/doctors/${doctorId}/queue/call-next`, body);
}

export async function act(app: TestApp, person: TestPerson, entryId: string, action: string, body: Record<string, unknown>): Promise<Reply> {
  return call(app, person, "POST", `/queue-entries/${entryId}/${action}`, body);
}

/**
 * The doctor sees a called patient through (start, then finish): a doctor has one called patient at
 * a time, so tests that call several in turn resolve each before the next call.
 */
export async function startAndFinish(app: TestApp, doctor: TestPerson, entry: { id: string; version: number }): Promise<void> {
  const started = await act(app, doctor, entry.id, "start", { version: entry.version });
  if (started.status !== 200) throw new Error(`start ${entry.id}: ${started.status} ${JSON.stringify(started.body)}`);
  const finished = await act(app, doctor, entry.id, "finish", { version: started.body.version });
  if (finished.status !== 200) throw new Error(`finish ${entry.id}: ${finished.status} ${JSON.stringify(finished.body)}`);
}

/** Makes the entry's arrival `minutesAgo` in the past (arrival order without sleeping). */
export async function arrivedAgo(app: TestApp, entryId: string, minutesAgo: number): Promise<void> {
  await query(app, `update queue_entry set arrived_at = now() - make_interval(mins => ?) where id = ?`, [minutesAgo, entryId]);
}
