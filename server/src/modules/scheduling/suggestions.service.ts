/**
 * Smart suggestions over free public slots (available, or held with a lapsed hold; regular kind;
 * listed doctors): the earliest slot of each doctor of a specialty, slots at the hours a patient
 * booked before, and the least-loaded doctor. Plus the staff view of under-used hours.
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import { addDays, zonedToInstant, type SlotSearchItem, type SlotSuggestions, type UnderusedQuery } from "@clinic/shared";
import { recordAudit, type AuditActor } from "../../platform/audit";
import { notFound } from "../../platform/errors";
import { writeTransaction } from "../../platform/transactions";
import { addDoctorFilters, Where } from "./availability-search.service";
import { freeSlotSql } from "./slot.store";

const DAY = 86_400_000;
/** How far ahead "earliest" looks. */
const EARLIEST_HORIZON_DAYS = 90;
const PREFERRED_HORIZON_DAYS = 14;
const PREFERRED_LIMIT = 10;
const LOAD_HORIZON_DAYS = 7;

/** A free, publicly bookable slot of doctor `d` (the `?` is now). */
const FREE = `${freeSlotSql("s", "?")} and s.kind = 'regular'`;

interface Row {
  id: string;
  doctor_id: string;
  clinic_id: string;
  starts_at: Date;
  ends_at: Date;
  service_id: string | null;
  version: number;
}

const item = (row: Row): SlotSearchItem => ({
  type: "slot",
  id: row.id,
  doctorId: row.doctor_id,
  clinicId: row.clinic_id,
  start: new Date(row.starts_at).toISOString(),
  end: new Date(row.ends_at).toISOString(),
  status: "available",
  kind: "regular",
  serviceId: row.service_id,
  version: row.version,
});

function doctorsOf(specialty: string): Where {
  return addDoctorFilters(new Where(), { specialty }, false);
}

async function earliestFit(em: EntityManager, specialty: string, serviceId: string | undefined, now: Date): Promise<SlotSearchItem[]> {
  const doctors = doctorsOf(specialty);
  const rows = await em.execute<Row[]>(
    `select f.* from doctor d join user_account u on u.id = d.user_id
     cross join lateral (
       select s.id, s.doctor_id, s.clinic_id, s.starts_at, s.ends_at, s.service_id, s.version
         from slot s join clinic c on c.id = s.clinic_id
        where s.doctor_id = d.id and ${FREE} and c.active and s.starts_at >= ? and s.starts_at < ?
          ${serviceId ? "and s.service_id = ?" : ""}
        order by s.starts_at, s.id limit 1) f
     where ${doctors.parts.join(" and ")}
     order by f.starts_at, f.id`,
    [now, now, new Date(now.getTime() + EARLIEST_HORIZON_DAYS * DAY), ...(serviceId ? [serviceId] : []), ...doctors.params],
  );
  return rows.map(item);
}

/**
 * The local hours (clinic zone) of the patient's past bookings. There are no appointments yet, and
 * slots do not name a patient, so the history is the patient's past elastic allocations (proposed or
 * confirmed). When appointments land, this reads their slots instead.
 */
async function preferredTimes(em: EntityManager, specialty: string, serviceId: string | undefined, patientId: string, now: Date) {
  const hours = await em.execute<{ hour: number }[]>(
    `select distinct extract(hour from a.expected_start_at at time zone c.time_zone)::int as hour
       from elastic_allocation a join elastic_block b on b.id = a.block_id join clinic c on c.id = b.clinic_id
      where a.patient_id = ? and a.status <> 'freed' and a.expected_start_at < ?`,
    [patientId, now],
  );
  if (hours.length === 0) return [];
  const doctors = doctorsOf(specialty);
  const rows = await em.execute<Row[]>(
    `select s.id, s.doctor_id, s.clinic_id, s.starts_at, s.ends_at, s.service_id, s.version
       from slot s join doctor d on d.id = s.doctor_id join user_account u on u.id = d.user_id join clinic c on c.id = s.clinic_id
      where ${FREE} and c.active and s.starts_at >= ? and s.starts_at < ?
        and extract(hour from s.starts_at at time zone c.time_zone)::int = any(string_to_array(?, ',')::int[])
        ${serviceId ? "and s.service_id = ?" : ""}
        and ${doctors.parts.join(" and ")}
      order by s.starts_at, s.id limit ?`,
    [
      now,
      now,
      new Date(now.getTime() + PREFERRED_HORIZON_DAYS * DAY),
      hours.map((row) => row.hour).join(","),
      ...(serviceId ? [serviceId] : []),
      ...doctors.params,
      PREFERRED_LIMIT,
    ],
  );
  return rows.map(item);
}

async function leastLoadedDoctor(em: EntityManager, specialty: string, serviceId: string | undefined, now: Date) {
  const doctors = doctorsOf(specialty);
  const [row] = await em.execute<{ doctor_id: string; display_name: string; free_minutes: number }[]>(
    `select d.id as doctor_id, d.display_name,
            (select coalesce(sum(extract(epoch from s.ends_at - s.starts_at)) / 60, 0)::int
               from slot s join clinic c on c.id = s.clinic_id
              where s.doctor_id = d.id and ${FREE} and c.active and s.starts_at >= ? and s.starts_at < ?
                ${serviceId ? "and s.service_id = ?" : ""}) as free_minutes
       from doctor d join user_account u on u.id = d.user_id
      where ${doctors.parts.join(" and ")}
      order by free_minutes desc, d.id limit 1`,
    [now, now, new Date(now.getTime() + LOAD_HORIZON_DAYS * DAY), ...(serviceId ? [serviceId] : []), ...doctors.params],
  );
  return row && row.free_minutes > 0 ? { doctorId: row.doctor_id, displayName: row.display_name, freeMinutes: row.free_minutes } : null;
}

export async function slotSuggestions(
  em: EntityManager,
  query: { specialty: string; serviceId?: string; patientId?: string },
  options: { now?: Date; auditReadBy?: AuditActor } = {},
): Promise<SlotSuggestions> {
  const now = options.now ?? new Date();
  const actor = options.auditReadBy;
  if (query.patientId && actor) {
    // Booking history is the patient's data: a read by anyone but the patient is on the record.
    const patientId = query.patientId;
    await writeTransaction(em, async (tx) => {
      recordAudit(tx, actor, { action: "patient.read", entityType: "Patient", entityId: patientId, after: { purpose: "slot.suggestions" } });
      await tx.flush();
    });
  }
  const [earliest, preferred, leastLoaded] = await Promise.all([
    earliestFit(em, query.specialty, query.serviceId, now),
    query.patientId ? preferredTimes(em, query.specialty, query.serviceId, query.patientId, now) : Promise.resolve([]),
    leastLoadedDoctor(em, query.specialty, query.serviceId, now),
  ]);
  return { earliestFit: earliest, preferredTimes: preferred, leastLoadedDoctor: leastLoaded };
}

/**
 * A clinic's doctors' hours (or days) in which fewer than 30% of the bookable slots (not blocked,
 * not expired) are booked. Days are the clinic's local days, `from` to `to` inclusive.
 */
export async function underusedBlocks(em: EntityManager, clinicId: string, query: UnderusedQuery) {
  const [clinic] = await em.execute<{ time_zone: string }[]>(`select time_zone from clinic where id = ?`, [clinicId]);
  if (!clinic) throw notFound("Clinic");
  const zone = clinic.time_zone;
  const start = zonedToInstant(query.from, "00:00", zone);
  const end = zonedToInstant(addDays(query.to, 1), "00:00", zone);
  const hour = query.by === "hour" ? `extract(hour from s.starts_at at time zone ?)::int` : `null::int`;
  const rows = await em.execute<{ doctor_id: string; date: string; hour: number | null; slots: number; booked: number }[]>(
    `select s.doctor_id, to_char(s.starts_at at time zone ?, 'YYYY-MM-DD') as date, ${hour} as hour,
            count(*)::int as slots, count(*) filter (where s.status = 'booked')::int as booked
       from slot s
      where s.clinic_id = ? and s.starts_at >= ? and s.starts_at < ? and s.status not in ('blocked', 'expired')
      group by 1, 2, 3
     having count(*) filter (where s.status = 'booked') < 0.3 * count(*)
      order by 2, 3 nulls first, 1`,
    [zone, ...(query.by === "hour" ? [zone] : []), clinicId, start, end],
  );
  return {
    items: rows.map((row) => ({ doctorId: row.doctor_id, date: row.date, hour: row.hour, slots: row.slots, booked: row.booked, bookedRatio: Math.round((row.booked / row.slots) * 1000) / 1000 })),
  };
}
