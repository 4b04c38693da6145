/** Booking test fixtures: an app, a clinic with a doctor and future slots, patients on a tier. */
import type { SubscriptionTier } from "@clinic/shared";
import type { TestApp } from "../support/harness";
import { createPerson, type TestPerson } from "../support/identity";
import { call, clinicIn, count, doctorAt, query, type Reply } from "../scheduling/support-rules";
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
    `select slot_id from appointment where doctor_id = ? and slot_id is not null and status not in ('cancelled','expired') group by slot_id having count(*) > 1`,
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

/** What must always hold in a block: live bookings follow their allocation, never overlap, fit the capacity. */
export async function blockInvariants(app: TestApp, blockId: string) {
  const drift = await count(
    app,
    `select count(*) n from appointment a join elastic_allocation al on al.id = a.elastic_allocation_id
      where al.block_id = ? and a.status in ('pending','scheduled') and (a.starts_at <> al.expected_start_at or al.status = 'freed')`,
    [blockId],
  );
  const overlapping = await count(
    app,
    `select count(*) n from appointment a join appointment b on a.id < b.id
       join elastic_allocation x on x.id = a.elastic_allocation_id join elastic_allocation y on y.id = b.elastic_allocation_id
      where x.block_id = ? and y.block_id = ? and a.status in ('pending','scheduled') and b.status in ('pending','scheduled')
        and tstzrange(a.starts_at, a.ends_at) && tstzrange(b.starts_at, b.ends_at)`,
    [blockId, blockId],
  );
  const [fill] = await query<{ used: number; capacity: number }>(
    app,
    `select coalesce(sum(al.duration_minutes) filter (where al.status <> 'freed'), 0)::int as used, b.capacity_minutes as capacity
       from elastic_block b left join elastic_allocation al on al.block_id = b.id where b.id = ? group by b.id`,
    [blockId],
  );
  return { drift, overlapping, overCapacity: fill!.used > fill!.capacity };
}
