/** Booking test fixtures: an app, a clinic with a doctor and future slots, patients on a tier. */
import type { SubscriptionTier } from "@clinic/shared";
import type { TestApp } from "../support/harness";
import { createPerson, type TestPerson } from "../support/identity";
import { call, clinicIn, doctorAt, query, type Reply } from "../scheduling/support-rules";
import { dayFromNow, insertSlots, type SlotSpec } from "../scheduling/support-slots";

export { call, count, query, startSchedulingApp as startBookingApp } from "../scheduling/support-rules";

export async function patientOn(app: TestApp, tier: SubscriptionTier = "standard"): Promise<TestPerson & { patientId: string }> {
  const person = await createPerson(app.runtime, "patient");
  await query(app, `update patient set subscription_tier = ? where id = ?`, [tier, person.patientId]);
  return { ...person, patientId: person.patientId! };
}

export async function setup(app: TestApp) {
  const clinic = await clinicIn(app);
  const doctor = await doctorAt(app, [clinic.id]);
  const reception = await createPerson(app.runtime, "receptionist", { clinicIds: [clinic.id] });
  return { clinicId: clinic.id, doctor, reception };
}

export async function slots(app: TestApp, doctorId: string, clinicId: string, count: number, extra: Partial<SlotSpec> = {}) {
  return insertSlots(app.runtime, { doctorId, clinicId, date: dayFromNow(5), from: "09:00", count, minutes: 15, ...extra });
}

export const hold = (app: TestApp, person: TestPerson, body: Record<string, unknown>, key?: string): Promise<Reply> =>
  fetch(`${app.url}/api/v1/appointments`, {
    method: "POST",
    headers: { ...person.headers, "content-type": "application/json", ...(key ? { "idempotency-key": key } : {}) },
    body: JSON.stringify(body),
  }).then(async (r) => ({ status: r.status, body: (await r.json()) as Reply["body"] }));

export { call as api };

/** Slots whose status disagrees with their live appointments, and slots with two live appointments. */
export async function inconsistencies(app: TestApp, doctorId: string) {
  const doubles = await query(
    app,
    `select slot_id from appointment where doctor_id = ? and status not in ('cancelled','expired') group by slot_id having count(*) > 1`,
    [doctorId],
  );
  const mismatched = await query(
    app,
    `select s.id, s.status, a.status as appointment_status from slot s
       left join appointment a on a.slot_id = s.id and a.status not in ('cancelled','expired')
      where s.doctor_id = ? and not (
        (s.status = 'booked' and a.status in ('scheduled','checked_in','in_consultation','completed','no_show')) or
        (s.status = 'held' and a.status = 'pending') or
        (s.status = 'available' and a.id is null))`,
    [doctorId],
  );
  const overlapping = await query(
    app,
    `select a.id from appointment a join appointment b on a.doctor_id = b.doctor_id and a.id < b.id
      where a.doctor_id = ? and a.status not in ('cancelled','expired') and b.status not in ('cancelled','expired')
        and tstzrange(a.starts_at, a.ends_at) && tstzrange(b.starts_at, b.ends_at)`,
    [doctorId],
  );
  return { doubles: doubles.length, mismatched, overlapping: overlapping.length };
}
