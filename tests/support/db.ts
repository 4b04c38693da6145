/**
 * Reading (and, for setup, poking) the database behind an app: SQL through a fresh EntityManager,
 * and the invariants the race and randomized suites check after every round.
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import type { SlotStatus } from "@clinic/shared";
import type { HasRuntime } from "./harness";

export const fork = (app: HasRuntime) => app.runtime.orm.em.fork() as EntityManager;

export async function query<T = Record<string, unknown>>(app: HasRuntime, sql: string, params: unknown[] = []): Promise<T[]> {
  return fork(app).getConnection().execute<T[]>(sql, params);
}

/** The `n` column of the first row, as a number. */
export async function count(app: HasRuntime, sql: string, params: unknown[] = []): Promise<number> {
  const [row] = await query<{ n: string }>(app, sql, params);
  return Number(row!.n);
}

export const statusOf = async (app: HasRuntime, table: "slot" | "appointment" | "waitlist_entry" | "waitlist_offer", id: string) =>
  (await query<{ status: string }>(app, `select status from ${table} where id = ?`, [id]))[0]!.status;

export interface SlotRecord {
  id: string;
  clinic_id: string;
  starts_at: Date;
  ends_at: Date;
  status: SlotStatus;
  version: number;
  tags: string[];
  note: string | null;
}

/** A doctor's slots in time order. */
export async function slotsOf(app: HasRuntime, doctorId: string): Promise<SlotRecord[]> {
  return query<SlotRecord>(
    app,
    `select id, clinic_id, starts_at, ends_at, status, version, tags, note from slot where doctor_id = ? order by starts_at, id`,
    [doctorId],
  );
}

/** Pairs of live, non-overbooked slots of one doctor that overlap (should always be none). */
export const overlappingSlotPairs = (app: HasRuntime, doctorId: string) =>
  count(
    app,
    `select count(*) n from slot a join slot b on a.doctor_id = b.doctor_id and a.id < b.id and a.period && b.period
      where a.doctor_id = ? and a.status <> 'expired' and b.status <> 'expired' and not a.overbooked and not b.overbooked`,
    [doctorId],
  );

/** Slots whose status disagrees with their live appointments, and slots with two live appointments. */
export async function inconsistencies(app: HasRuntime, doctorId: string) {
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

/** What must always hold in an elastic block: live bookings follow their allocation, never overlap, fit the capacity. */
export async function blockInvariants(app: HasRuntime, blockId: string) {
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

/** The code in the newest notification-outbox message of `template` to `recipient` (what a person would be sent). */
export async function latestCode(app: HasRuntime, recipient: string, template = "identity.verify-code"): Promise<string> {
  const [row] = await query<{ payload: { code: string } }>(
    app,
    "select payload from notification_outbox where recipient = ? and template = ? order by created_at desc limit 1",
    [recipient, template],
  );
  if (!row) throw new Error(`no ${template} message to ${recipient}`);
  return row.payload.code;
}
