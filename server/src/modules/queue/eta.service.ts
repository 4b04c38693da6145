/**
 * The `eta-recompute` job's work (docs/queue-eta.md): read one doctor's day at one clinic, run the
 * engine (eta.ts), store the ETAs (`queue_entry.expected_at`, `appointment.expected_start_at`),
 * notify patients whose expected start moved by more than the clinic's `etaSlipNotifyMinutes` since
 * they were last told (eta_notice), and record `eta.updated` (with each patient whose estimate moved)
 * and `eta.changed` (the queue's realtime
 * subscriber publishes them after commit); then dispatch the messages.
 *
 * One transaction under a per-doctor-and-clinic advisory lock, so a triggered run and the periodic
 * one never interleave: the second sees what the first told and stays silent. Retries are safe: the
 * stored "told" time and the outbox keys make a repeated run notify nobody twice.
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import { addDays, clinicSettingsSchema, localTimeOf, zonedToInstant, type EtaChanged, type EtaMoved } from "@clinic/shared";
import type { ModuleContext } from "../../platform/module";
import { recordEvents } from "../../platform/outbox";
import { prepared, runPrepared } from "../../platform/prepared";
import { dispatchMessages, notify } from "../notifications";
import { breaksFromSchedule, estimateDay, type DayInput, type Estimate, type Interval } from "./eta";
import type { EtaRecomputeData } from "./eta.trigger";
import { doctorMetrics, readQueueMetrics, serviceDayOf } from "./queue-metrics";

const MINUTE = 60_000;

interface EntryRow {
  id: string;
  kind: "appointment" | "walk_in" | "emergency";
  status: "waiting" | "called" | "in_room" | "done";
  ticket: string;
  arrived_at: Date;
  called_at: Date | null;
  started_at: Date | null;
  finished_at: Date | null;
  manual_rank: number | null;
  expected_at: Date | null;
  appointment_id: string | null;
  /** The entry's appointment's stored estimate: kept equal to the entry's, so every screen shows one time. */
  appointment_expected_at: Date | null;
  starts_at: Date | null;
  booked_minutes: number | null;
  service_id: string | null;
  service_minutes: number | null;
  user_id: string;
  told_at: Date | null;
}

interface LaterRow {
  id: string;
  starts_at: Date;
  booked_minutes: number;
  service_id: string | null;
  service_minutes: number | null;
  expected_start_at: Date | null;
  user_id: string;
  told_at: Date | null;
}

interface Facts {
  timeZone: string;
  clinicName: string;
  doctorName: string;
  slipMinutes: number;
}

export interface EtaRunResult {
  outcome: "done" | "skipped";
  entries: number;
  appointments: number;
  stored: number;
  notified: number;
}

/** A patient whose expected start is compared with what they were told. */
interface Subject {
  kind: "appointment" | "entry";
  id: string;
  appointmentId: string | null;
  entryId: string | null;
  userId: string;
  expectedAt: Date;
  /** What they were last told; for an appointment never told, its booked start; null: a walk-in never shown one. */
  toldAt: Date | null;
}

/** Raw rows carry timestamps as strings (or Dates, depending on the driver's parsers): one shape for the engine. */
const asDate = (value: Date | string | null): Date | null => (value === null ? null : new Date(value));
function withDates<T extends object>(row: T, keys: (keyof T)[]): T {
  const copy = { ...row };
  for (const key of keys) (copy as Record<keyof T, unknown>)[key] = asDate(row[key] as Date | string | null);
  return copy;
}

const ceilToMinute = (date: Date) => new Date(Math.ceil(date.getTime() / MINUTE) * MINUTE);
const SKIPPED: EtaRunResult = { outcome: "skipped", entries: 0, appointments: 0, stored: 0, notified: 0 };

export async function recomputeEta(ctx: ModuleContext, data: EtaRecomputeData): Promise<EtaRunResult> {
  const em = ctx.orm.em.fork() as EntityManager;
  const result = await em.transactional(async (tx) => {
    await tx.execute(`select pg_advisory_xact_lock(hashtext(?))`, [`eta-${data.clinicId}-${data.doctorId}`]);
    const facts = await readFacts(tx, data);
    if (!facts) return null;
    const now = new Date();
    const serviceDay = serviceDayOf(now, facts.timeZone);
    const dayStart = zonedToInstant(serviceDay, "00:00", facts.timeZone);
    const dayEnd = zonedToInstant(addDays(serviceDay, 1), "00:00", facts.timeZone);
    const entries = await readEntries(tx, data, serviceDay);
    const later = await readLater(tx, data, dayStart, dayEnd);
    const schedule = await readSchedule(tx, data, dayStart, dayEnd);
    const estimate = estimateDay(dayInput(now, entries, later, schedule));
    const moved = await storeEstimates(tx, estimate, entries, later);
    const subjects = subjectsOf(estimate, entries, later);
    const { outboxIds, changes } = await tellPatients(tx, data, facts, subjects);
    const metrics = await readQueueMetrics(tx, data.clinicId, serviceDay);
    const tickets = new Map(entries.map((entry) => [entry.id, entry.ticket]));
    const items = [
      ...estimate.entries.map((e) => ({ at: e.expectedAt, item: { entryId: e.entryId, ticket: tickets.get(e.entryId)!, expectedAt: ceilToMinute(e.expectedAt).toISOString() } })),
      ...estimate.appointments.map((a) => ({ at: a.expectedAt, item: { appointmentId: a.appointmentId, expectedAt: ceilToMinute(a.expectedAt).toISOString() } })),
    ].sort((a, b) => a.at.getTime() - b.at.getTime());
    await recordEvents(tx, [
      {
        name: "eta.updated",
        data: {
          staff: {
            clinicId: data.clinicId,
            doctorId: data.doctorId,
            lateByMinutes: estimate.lateByMinutes,
            state: estimate.state,
            entries: items.map(({ item }) => item),
            metrics: (({ waiting, served, currentWaitMinutes, averageWaitMinutes }) => ({ waiting, served, currentWaitMinutes, averageWaitMinutes }))(
              doctorMetrics(metrics, data.doctorId, facts.doctorName),
            ),
          },
          display: {
            doctorId: data.doctorId,
            lateByMinutes: estimate.lateByMinutes,
            entries: estimate.entries.map((e) => ({ ticket: tickets.get(e.entryId)!, expectedAt: ceilToMinute(e.expectedAt).toISOString() })),
          },
          patients: moved,
        },
      },
      ...changes.map((change) => ({ name: "eta.changed" as const, data: change })),
    ]);
    return { outboxIds, summary: { outcome: "done" as const, entries: estimate.entries.length, appointments: estimate.appointments.length, stored: moved.length, notified: changes.length } };
  });
  if (!result) return SKIPPED;
  await dispatchMessages(ctx, result.outboxIds);
  return result.summary;
}

async function readFacts(tx: EntityManager, data: EtaRecomputeData): Promise<Facts | null> {
  const [row] = await tx.execute<{ time_zone: string; name: string; settings: unknown; doctor_name: string }[]>(
    `select c.time_zone, c.name, c.settings, d.display_name as doctor_name from clinic c, doctor d where c.id = ? and d.id = ?`,
    [data.clinicId, data.doctorId],
  );
  if (!row) return null;
  // Settings written before this one existed parse to the default.
  const settings = clinicSettingsSchema.safeParse(row.settings ?? {});
  const slipMinutes = settings.success ? settings.data.etaSlipNotifyMinutes : clinicSettingsSchema.parse({}).etaSlipNotifyMinutes;
  return { timeZone: row.time_zone, clinicName: row.name, doctorName: row.doctor_name, slipMinutes };
}

/** Today's entries of the doctor at the clinic that matter: in the queue, in the room, or done (for the means). */
async function readEntries(tx: EntityManager, data: EtaRecomputeData, serviceDay: string): Promise<EntryRow[]> {
  const rows = await tx.execute<EntryRow[]>(
    `select q.id, q.kind, q.status, q.ticket, q.arrived_at, q.called_at, q.started_at, q.finished_at, q.manual_rank, q.expected_at,
            q.appointment_id, a.expected_start_at as appointment_expected_at, a.starts_at, a.service_id, svc.duration_minutes as service_minutes, p.user_id,
            coalesce(extract(epoch from a.ends_at - a.starts_at), extract(epoch from ws.ends_at - ws.starts_at))::float8 / 60 as booked_minutes,
            n.told_at
       from queue_entry q
       join patient p on p.id = q.patient_id
       left join appointment a on a.id = q.appointment_id
       left join clinic_service svc on svc.id = a.service_id
       left join slot ws on ws.id = q.slot_id
       left join eta_notice n on (q.appointment_id is not null and n.appointment_id = q.appointment_id)
                              or (q.appointment_id is null and n.queue_entry_id = q.id)
      where q.clinic_id = ? and q.doctor_id = ? and q.service_day = ?::date and q.status in ('waiting', 'called', 'in_room', 'done')`,
    [data.clinicId, data.doctorId, serviceDay],
  );
  return rows.map((row) => withDates(row, ["arrived_at", "called_at", "started_at", "finished_at", "expected_at", "appointment_expected_at", "starts_at", "told_at"]));
}

/** Booked appointments of the day not checked in (and not flagged as probable no-shows). */
async function readLater(tx: EntityManager, data: EtaRecomputeData, dayStart: Date, dayEnd: Date): Promise<LaterRow[]> {
  const rows = await tx.execute<LaterRow[]>(
    `select a.id, a.starts_at, extract(epoch from a.ends_at - a.starts_at)::float8 / 60 as booked_minutes, a.service_id,
            svc.duration_minutes as service_minutes, a.expected_start_at, p.user_id, n.told_at
       from appointment a
       join patient p on p.id = a.patient_id
       left join clinic_service svc on svc.id = a.service_id
       left join eta_notice n on n.appointment_id = a.id
      where a.doctor_id = ? and a.clinic_id = ? and a.status = 'scheduled' and a.probable_no_show_at is null
        and a.starts_at >= ? and a.starts_at < ?
        and not exists (select 1 from queue_entry q where q.appointment_id = a.id)`,
    [data.doctorId, data.clinicId, dayStart, dayEnd],
  );
  return rows.map((row) => withDates(row, ["starts_at", "expected_start_at", "told_at"]));
}

/** The doctor's schedule of the day here: working periods (slots, elastic blocks) and blocked slots. */
async function readSchedule(tx: EntityManager, data: EtaRecomputeData, dayStart: Date, dayEnd: Date) {
  const rows = await tx.execute<{ starts_at: Date; ends_at: Date; blocked: boolean }[]>(
    `select starts_at, ends_at, status = 'blocked' as blocked from slot
      where doctor_id = ? and clinic_id = ? and starts_at < ? and ends_at > ?
     union all
     select starts_at, ends_at, false from elastic_block
      where doctor_id = ? and clinic_id = ? and starts_at < ? and ends_at > ?`,
    [data.doctorId, data.clinicId, dayEnd, dayStart, data.doctorId, data.clinicId, dayEnd, dayStart],
  );
  const interval = (row: { starts_at: Date; ends_at: Date }): Interval => ({ start: new Date(row.starts_at), end: new Date(row.ends_at) });
  const working = rows.filter((row) => !row.blocked).map(interval);
  const blocked = rows.filter((row) => row.blocked).map(interval);
  const opensAt = working.reduce<Date | null>((first, period) => (first === null || period.start < first ? period.start : first), null);
  return { breaks: breaksFromSchedule(working, blocked), opensAt };
}

function dayInput(now: Date, entries: EntryRow[], later: LaterRow[], schedule: { breaks: Interval[]; opensAt: Date | null }): DayInput {
  const visit = (row: { service_id: string | null; service_minutes: number | null; booked_minutes: number | null }) => ({
    serviceId: row.service_id,
    serviceMinutes: row.service_minutes,
    bookedMinutes: row.booked_minutes,
  });
  const finished = entries
    .filter((entry) => entry.status === "done" && entry.started_at && entry.finished_at)
    .sort((a, b) => a.finished_at!.getTime() - b.finished_at!.getTime())
    .map((entry) => ({ serviceId: entry.service_id, minutes: (entry.finished_at!.getTime() - entry.started_at!.getTime()) / MINUTE }));
  // Normally one; if the queue left two in the room, the latest start is the one the doctor is on.
  const room = entries
    .filter((entry) => entry.status === "in_room")
    .sort((a, b) => (b.started_at ?? b.arrived_at).getTime() - (a.started_at ?? a.arrived_at).getTime())[0];
  return {
    now,
    inRoom: room ? { entryId: room.id, startedAt: room.started_at ?? room.called_at ?? now, bookedStart: room.starts_at, ...visit(room) } : null,
    finished,
    waiting: entries
      .filter((entry): entry is EntryRow & { status: "waiting" | "called" } => entry.status === "waiting" || entry.status === "called")
      .map((entry) => ({
        entryId: entry.id,
        kind: entry.kind,
        status: entry.status,
        arrivedAt: entry.arrived_at,
        calledAt: entry.called_at,
        manualRank: entry.manual_rank,
        appointmentId: entry.appointment_id,
        bookedStart: entry.starts_at,
        ...visit(entry),
      })),
    later: later.map((row) => ({ appointmentId: row.id, bookedStart: row.starts_at, ...visit(row) })),
    breaks: schedule.breaks,
    opensAt: schedule.opensAt,
  };
}

/** $1 ids, $2 times: one statement per table for every estimate that changed. */
const STORE_ENTRY_ESTIMATES = prepared<never>(
  "queue_store_entry_estimates",
  `update queue_entry q set expected_at = v.at from unnest($1::uuid[], $2::timestamptz[]) as v(id, at) where q.id = v.id`,
);
const STORE_APPOINTMENT_ESTIMATES = prepared<never>(
  "queue_store_appointment_estimates",
  `update appointment a set expected_start_at = v.at from unnest($1::uuid[], $2::timestamptz[]) as v(id, at) where a.id = v.id`,
);

/** One patient's stored estimate that changed in a run (their `me` hears it). */
type Moved = EtaMoved & { patientUserId: string };

/**
 * Writes the ETAs that changed (to the minute, rounded up so none is before now), in id order (one
 * lock order for every writer). A checked-in patient's appointment gets their entry's estimate too,
 * so the board, the patient's screens and the display show one time. Returns what moved, per patient.
 */
async function storeEstimates(tx: EntityManager, estimate: Estimate, entries: EntryRow[], later: LaterRow[]): Promise<Moved[]> {
  const entryById = new Map(entries.map((entry) => [entry.id, entry]));
  const laterById = new Map(later.map((row) => [row.id, row]));
  const entryAt = estimate.entries.map(({ entryId, expectedAt }) => ({ entry: entryById.get(entryId)!, at: ceilToMinute(expectedAt) }));
  const entryChanges = entryAt.filter(({ entry, at }) => entry.expected_at?.getTime() !== at.getTime()).map(({ entry, at }) => ({ id: entry.id, at }));
  const appointmentChanges = [
    ...entryAt
      .filter(({ entry, at }) => entry.appointment_id !== null && entry.appointment_expected_at?.getTime() !== at.getTime())
      .map(({ entry, at }) => ({ id: entry.appointment_id!, at })),
    ...estimate.appointments
      .map(({ appointmentId, expectedAt }) => ({ id: appointmentId, at: ceilToMinute(expectedAt) }))
      .filter(({ id, at }) => laterById.get(id)!.expected_start_at?.getTime() !== at.getTime()),
  ];
  const byId = (x: { id: string }, y: { id: string }) => (x.id < y.id ? -1 : 1);
  entryChanges.sort(byId);
  appointmentChanges.sort(byId);
  if (entryChanges.length) await runPrepared(tx, STORE_ENTRY_ESTIMATES, [entryChanges.map((c) => c.id), entryChanges.map((c) => c.at)]);
  if (appointmentChanges.length) await runPrepared(tx, STORE_APPOINTMENT_ESTIMATES, [appointmentChanges.map((c) => c.id), appointmentChanges.map((c) => c.at)]);
  const changedEntries = new Set(entryChanges.map((c) => c.id));
  const changedAppointments = new Set(appointmentChanges.map((c) => c.id));
  return [
    ...entryAt
      .filter(({ entry }) => changedEntries.has(entry.id) || (entry.appointment_id !== null && changedAppointments.has(entry.appointment_id)))
      .map(({ entry, at }) => ({ patientUserId: entry.user_id, appointmentId: entry.appointment_id, entryId: entry.id, expectedAt: at.toISOString() })),
    ...estimate.appointments
      .filter(({ appointmentId }) => changedAppointments.has(appointmentId))
      .map(({ appointmentId, expectedAt }) => ({ patientUserId: laterById.get(appointmentId)!.user_id, appointmentId, entryId: null, expectedAt: ceilToMinute(expectedAt).toISOString() })),
  ];
}

/** Patients who may be told: those waiting (not yet called) and later appointments. Never the room or the done. */
function subjectsOf(estimate: Estimate, entries: EntryRow[], later: LaterRow[]): Subject[] {
  const entryById = new Map(entries.map((entry) => [entry.id, entry]));
  const laterById = new Map(later.map((row) => [row.id, row]));
  const subjects: Subject[] = [];
  for (const { entryId, expectedAt } of estimate.entries) {
    const entry = entryById.get(entryId)!;
    if (entry.status !== "waiting") continue;
    subjects.push({
      kind: entry.appointment_id ? "appointment" : "entry",
      id: entry.appointment_id ?? entry.id,
      appointmentId: entry.appointment_id,
      entryId: entry.id,
      userId: entry.user_id,
      expectedAt: ceilToMinute(expectedAt),
      toldAt: entry.told_at ?? entry.starts_at,
    });
  }
  for (const { appointmentId, expectedAt } of estimate.appointments) {
    const row = laterById.get(appointmentId)!;
    subjects.push({
      kind: "appointment",
      id: row.id,
      appointmentId: row.id,
      entryId: null,
      userId: row.user_id,
      expectedAt: ceilToMinute(expectedAt),
      toldAt: row.told_at ?? row.starts_at,
    });
  }
  return subjects;
}

/**
 * Slip: expected more than `slipMinutes` later than last told → "now expected at …". Gain: more than
 * `slipMinutes` earlier → "you may be seen earlier". Either way the new time becomes what they were
 * told. A walk-in's first ETA is recorded silently (it is what reception showed them).
 */
async function tellPatients(tx: EntityManager, data: EtaRecomputeData, facts: Facts, subjects: Subject[]) {
  const outboxIds: string[] = [];
  const changes: { patientUserId: string; change: EtaChanged }[] = [];
  const threshold = facts.slipMinutes * MINUTE;
  for (const subject of subjects) {
    if (subject.toldAt === null) {
      await recordTold(tx, subject, 0);
      continue;
    }
    const delta = subject.expectedAt.getTime() - subject.toldAt.getTime();
    if (Math.abs(delta) <= threshold) continue;
    const direction = delta > 0 ? "later" : "earlier";
    const ids = await notify(tx, {
      userId: subject.userId,
      template: direction === "later" ? "queue.eta-slipped" : "queue.eta-gained",
      clinicId: data.clinicId,
      key: `eta-${subject.id}-${subject.toldAt.getTime() / MINUTE}-${subject.expectedAt.getTime() / MINUTE}`,
      payload: {
        doctor: facts.doctorName,
        clinic: facts.clinicName,
        time: localTimeOf(subject.expectedAt, facts.timeZone),
        previous: localTimeOf(subject.toldAt, facts.timeZone),
        appointmentId: subject.appointmentId,
        entryId: subject.entryId,
        expectedAt: subject.expectedAt.toISOString(),
      },
    });
    outboxIds.push(...ids);
    await recordTold(tx, subject, 1);
    changes.push({
      patientUserId: subject.userId,
      change: {
        appointmentId: subject.appointmentId,
        entryId: subject.entryId,
        doctorId: data.doctorId,
        clinicId: data.clinicId,
        expectedAt: subject.expectedAt.toISOString(),
        previousExpectedAt: subject.toldAt.toISOString(),
        direction,
      },
    });
  }
  return { outboxIds, changes };
}

async function recordTold(tx: EntityManager, subject: Subject, notices: number): Promise<void> {
  const column = subject.kind === "appointment" ? "appointment_id" : "queue_entry_id";
  await tx.execute(
    `insert into eta_notice (id, ${column}, told_at, notices, updated_at) values (gen_random_uuid(), ?, ?, ?, now())
     on conflict (${column}) do update set told_at = excluded.told_at, notices = eta_notice.notices + excluded.notices, updated_at = now()`,
    [subject.id, subject.expectedAt, notices],
  );
}
