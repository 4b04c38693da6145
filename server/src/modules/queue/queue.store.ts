/**
 * The SQL the queue services write with: entry rows and their staff view, the version-checked row
 * lock every writer takes, daily tickets, the clinic's day and settings.
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import {
  clinicSettingsSchema,
  localDateOf,
  type ClinicSettings,
  type QueueEntryKind,
  type QueueEntryStatus,
  type QueueEntryView,
} from "@clinic/shared";
import { conflict, type DomainError, notFound } from "../../platform/errors";

export const ENTRY_SELECT = `select q.id, q.clinic_id, q.service_day::text as service_day, q.doctor_id, d.display_name as doctor_name, q.patient_id,
    p.full_name as patient_name, q.appointment_id, a.starts_at as appointment_start, q.slot_id, q.kind, q.ticket, q.status, q.reason,
    q.manual_rank, q.room, q.arrived_at, q.called_at, q.started_at, q.finished_at, q.left_at, q.expected_at, q.version
  from queue_entry q join patient p on p.id = q.patient_id left join doctor d on d.id = q.doctor_id left join appointment a on a.id = q.appointment_id`;

export interface EntryRow {
  id: string;
  clinic_id: string;
  service_day: string;
  doctor_id: string | null;
  doctor_name: string | null;
  patient_id: string;
  patient_name: string;
  appointment_id: string | null;
  appointment_start: Date | null;
  slot_id: string | null;
  kind: QueueEntryKind;
  ticket: string;
  status: QueueEntryStatus;
  reason: string | null;
  manual_rank: number | null;
  room: string | null;
  arrived_at: Date;
  called_at: Date | null;
  started_at: Date | null;
  finished_at: Date | null;
  left_at: Date | null;
  expected_at: Date | null;
  version: number;
}

const iso = (value: Date | string | null) => (value === null ? null : new Date(value).toISOString());

export function entryView(row: EntryRow): QueueEntryView {
  return {
    id: row.id,
    clinicId: row.clinic_id,
    serviceDay: row.service_day,
    doctorId: row.doctor_id,
    doctorName: row.doctor_name,
    patientId: row.patient_id,
    patientName: row.patient_name,
    appointmentId: row.appointment_id,
    appointmentStart: iso(row.appointment_start),
    slotId: row.slot_id,
    kind: row.kind,
    ticket: row.ticket,
    status: row.status,
    reason: row.reason,
    manualRank: row.manual_rank,
    room: row.room,
    arrivedAt: iso(row.arrived_at)!,
    calledAt: iso(row.called_at),
    startedAt: iso(row.started_at),
    finishedAt: iso(row.finished_at),
    leftAt: iso(row.left_at),
    expectedAt: iso(row.expected_at),
    version: row.version,
  };
}

export const entryNotFound = () => notFound("Queue entry");

export async function readEntry(em: EntityManager, id: string): Promise<EntryRow> {
  const [row] = await em.execute<EntryRow[]>(`${ENTRY_SELECT} where q.id = ?`, [id]);
  if (!row) throw entryNotFound();
  return row;
}

/**
 * Locks an entry for a change and checks the version the writer read and the statuses it may act
 * on. Two writers on one entry queue on the row lock; the second sees the first's new version and
 * gets 409 VERSION_CONFLICT. Lock order everywhere: queue entry, then its appointment, then slots.
 */
export async function lockEntry(tx: EntityManager, id: string, version: number, from: readonly QueueEntryStatus[], action: string): Promise<EntryRow> {
  const locked = await tx.execute<{ id: string }[]>(`select id from queue_entry where id = ? for update`, [id]);
  if (locked.length === 0) throw entryNotFound();
  const row = await readEntry(tx, id);
  if (row.version !== version) {
    throw conflict("VERSION_CONFLICT", { currentVersion: row.version, field: "body.version" });
  }
  if (!from.includes(row.status)) {
    throw conflict("ILLEGAL_TRANSITION", `A ${row.status} queue entry cannot be ${action}`, { from: row.status, action });
  }
  return row;
}

/** Updates a locked entry (bumping its version) and reads it back. `set` is trusted SQL with `?` params. */
export async function updateEntry(tx: EntityManager, id: string, set: string, params: unknown[] = []): Promise<EntryRow> {
  await tx.execute(`update queue_entry set ${set}, version = version + 1, updated_at = now() where id = ?`, [...params, id]);
  return readEntry(tx, id);
}

/** The clinic's facts a queue change needs; 404 for an unknown or inactive clinic. */
export interface ClinicFacts {
  id: string;
  name: string;
  timeZone: string;
  today: string;
  settings: ClinicSettings;
  /** The clinic's own number (E.164), whose country reads the numbers its desk types. */
  phone: string | null;
}

export async function clinicFacts(em: EntityManager, clinicId: string, now = new Date()): Promise<ClinicFacts> {
  const [row] = await em.execute<{ id: string; name: string; time_zone: string; settings: unknown; phone: string | null }[]>(
    `select id, name, time_zone, settings, phone from clinic where id = ? and active`,
    [clinicId],
  );
  if (!row) throw notFound("Clinic");
  return {
    id: row.id,
    name: row.name,
    timeZone: row.time_zone,
    today: localDateOf(now, row.time_zone),
    settings: clinicSettingsSchema.parse(row.settings ?? {}),
    phone: row.phone,
  };
}

export const TICKET_PREFIX: Record<QueueEntryKind, string> = { appointment: "A", walk_in: "W", emergency: "E" };

/**
 * The next ticket of the clinic's day for the kind: one upsert on the counter row, so concurrent
 * writers queue on it and a rolled-back transaction gives its number back (no gaps). Take it last
 * in the transaction, to hold the counter row as briefly as possible.
 */
export async function nextTicket(tx: EntityManager, clinicId: string, serviceDay: string, kind: QueueEntryKind): Promise<string> {
  const prefix = TICKET_PREFIX[kind];
  const [row] = await tx.execute<{ last: number }[]>(
    `insert into queue_ticket_counter as c (clinic_id, service_day, prefix, last) values (?, ?, ?, 1)
     on conflict (clinic_id, service_day, prefix) do update set last = c.last + 1 returning c.last`,
    [clinicId, serviceDay, prefix],
  );
  return `${prefix}-${String(row!.last).padStart(3, "0")}`;
}

/** Inserts an entry (status waiting, arrived now) and reads it back. */
export async function insertEntry(
  tx: EntityManager,
  e: { clinicId: string; serviceDay: string; doctorId: string | null; patientId: string; appointmentId: string | null; slotId: string | null; kind: QueueEntryKind; reason: string | null },
): Promise<EntryRow> {
  const ticket = await nextTicket(tx, e.clinicId, e.serviceDay, e.kind);
  const [row] = await tx.execute<{ id: string }[]>(
    `insert into queue_entry (id, clinic_id, doctor_id, patient_id, appointment_id, slot_id, kind, service_day, ticket, status, reason, arrived_at, version, created_at, updated_at)
     values (gen_random_uuid(), ?, ?, ?, ?, ?, ?, ?, ?, 'waiting', ?, now(), 1, now(), now()) returning id`,
    [e.clinicId, e.doctorId, e.patientId, e.appointmentId, e.slotId, e.kind, e.serviceDay, ticket, e.reason],
  );
  return readEntry(tx, row!.id);
}

/** The partial unique indexes that keep one called and one in-room patient per doctor, any day. */
const ONE_PER_DOCTOR = {
  queue_entry_one_called_per_doctor: "called",
  queue_entry_one_in_room_per_doctor: "in_room",
} as const;
type OnePerDoctor = (typeof ONE_PER_DOCTOR)[keyof typeof ONE_PER_DOCTOR];

/** An entry holding a doctor's one called or in-room place; `is_today`: of its clinic's today. */
export type PlaceHolder = EntryRow & { is_today: boolean };

/** The doctor's entry in `status` (called or in_room), whatever its day; null when there is none. */
export async function doctorsEntryIn(em: EntityManager, doctorId: string, status: OnePerDoctor): Promise<PlaceHolder | null> {
  const [row] = await em.execute<PlaceHolder[]>(
    `select h.*, h.service_day = (now() at time zone c.time_zone)::date::text as is_today
       from (${ENTRY_SELECT} where q.doctor_id = ? and q.status = ?) h join clinic c on c.id = h.clinic_id`,
    [doctorId, status],
  );
  return row ?? null;
}

/**
 * 409 naming the entry that holds the doctor's one called (ALREADY_CALLED) or in-room
 * (ALREADY_IN_ROOM) place, with what staff need to act on it; an earlier day's is named as such.
 */
export function doctorBusy(holder: PlaceHolder): DomainError {
  const which = holder.is_today ? holder.ticket : `${holder.ticket} of ${holder.service_day}`;
  const [code, detail] =
    holder.status === "in_room"
      ? (["ALREADY_IN_ROOM", `${which} is still in the room: finish or send back first`] as const)
      : (["ALREADY_CALLED", `${which} is already called: start, send back or mark no-show first`] as const);
  return conflict(code, detail, {
    entryId: holder.id,
    ticket: holder.ticket,
    clinicId: holder.clinic_id,
    serviceDay: holder.service_day,
    version: holder.version,
  });
}

/**
 * Maps a violation of the one-called / one-in-room index (a writer that raced past the check) to
 * the same 409 the check gives, naming the entry that holds the place, read after the rollback.
 * Anything else goes to mapQueueDatabaseError.
 */
export async function mapDoctorBusyError(em: EntityManager, error: unknown, doctorId: string): Promise<never> {
  const { code, constraint } = error as { code?: string; constraint?: string };
  const status = code === "23505" && constraint && constraint in ONE_PER_DOCTOR ? ONE_PER_DOCTOR[constraint as keyof typeof ONE_PER_DOCTOR] : null;
  if (!status) return mapQueueDatabaseError(error);
  const holder = await doctorsEntryIn(em, doctorId, status);
  // Resolved again in the meantime: nothing to name; the caller simply retries.
  if (!holder) throw conflict("CONCURRENT_CHANGE");
  throw doctorBusy(holder);
}

/** Maps the database's concurrency failures to 409s (the caller retries). */
export function mapQueueDatabaseError(error: unknown): never {
  const code = (error as { code?: string }).code;
  if (code === "40P01" || code === "40001") throw conflict("CONCURRENT_CHANGE");
  throw error;
}
