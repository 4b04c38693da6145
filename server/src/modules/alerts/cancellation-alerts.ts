/**
 * Admin alerts (docs/booking.md, "Admin alerts"). After every committed change that cancelled
 * appointments, `cancellation-alerts` (queue "booking", one job per doctor and clinic, jobId
 * `cancel-alert-{first appointment id}`) checks, against the database:
 * (a) whole-day leave: a doctor's time off that cancelled appointments and covers the entire local
 *     day (in the clinic's zone) of at least one of them → `alert.leave-day`, once per doctor, clinic
 *     and day;
 * (b) a cancelling spree: the doctor's own account cancelled more than the clinic's
 *     `alertCancellationsPerHour` appointments within the hour up to this cancellation (reschedules
 *     excluded) → `alert.cancellations`, at most once per doctor, clinic and UTC clock hour.
 * Both go to every clinic admin (membership role `clinic_admin`) of that clinic through notify(),
 * with notify keys that make a retried or duplicate job write nothing new.
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import { addDays, clinicSettingsSchema, localDateOf, zonedToInstant } from "@clinic/shared";
import type { ModuleContext } from "../../platform/module";
import { dispatchMessages, notify } from "../notifications";
import { SYSTEM_TAG_PREFIX } from "../scheduling";
import { pgArray, type Snapshot } from "../booking";

export const CANCELLATION_ALERTS_JOB = "cancellation-alerts";

export interface CancellationAlertData {
  doctorId: string;
  clinicId: string;
  appointmentIds: string[];
}

/** After commit: one check per doctor and clinic whose appointments this change cancelled. */
export async function queueCancellationAlerts(ctx: Pick<ModuleContext, "queues">, snapshot: Snapshot): Promise<void> {
  const groups = new Map<string, CancellationAlertData>();
  for (const change of snapshot.appointments) {
    if (change.status !== "cancelled") continue;
    const key = `${change.doctorId}/${change.clinicId}`;
    const group = groups.get(key) ?? { doctorId: change.doctorId, clinicId: change.clinicId, appointmentIds: [] };
    group.appointmentIds.push(change.appointmentId);
    groups.set(key, group);
  }
  if (groups.size === 0) return;
  await ctx.queues.get("booking").addBulk(
    [...groups.values()].map((data) => {
      data.appointmentIds.sort();
      return { name: CANCELLATION_ALERTS_JOB, data, opts: { jobId: `cancel-alert-${data.appointmentIds[0]}` } };
    }),
  );
}

interface Facts {
  doctorName: string;
  doctorUserId: string;
  clinicName: string;
  timeZone: string;
  perHour: number;
  adminUserIds: string[];
}

async function readFacts(em: EntityManager, doctorId: string, clinicId: string): Promise<Facts | null> {
  const [row] = await em.execute<{ doctor_name: string; doctor_user_id: string; clinic_name: string; time_zone: string; settings: unknown; admins: string[] }[]>(
    `select d.display_name as doctor_name, d.user_id as doctor_user_id, c.name as clinic_name, c.time_zone, c.settings,
            coalesce((select array_agg(m.user_id::text order by m.user_id) from clinic_membership m
                       where m.clinic_id = c.id and m.role = 'clinic_admin'), '{}') as admins
       from doctor d, clinic c where d.id = ? and c.id = ?`,
    [doctorId, clinicId],
  );
  if (!row) return null;
  const settings = clinicSettingsSchema.parse(row.settings ?? {});
  return {
    doctorName: row.doctor_name,
    doctorUserId: row.doctor_user_id,
    clinicName: row.clinic_name,
    timeZone: row.time_zone,
    perHour: settings.alertCancellationsPerHour,
    adminUserIds: row.admins,
  };
}

const longDate = (instant: Date, zone: string) =>
  new Intl.DateTimeFormat("en-GB", { timeZone: zone, weekday: "long", day: "numeric", month: "long", year: "numeric" }).format(instant);

/**
 * Whole local days that a doctor's leave emptied: per day, how many appointments it cancelled and why.
 * The leave's marker tag on the slot and the same author tell its cancellations from a patient's
 * earlier one on a slot the leave blocked afterwards.
 */
async function wholeDayLeaves(em: EntityManager, data: CancellationAlertData, zone: string) {
  const rows = await em.execute<{ id: string; starts_at: Date; u_start: Date; u_end: Date | null; reason: string | null }[]>(
    `select a.id, a.starts_at, u.starts_at as u_start, u.ends_at as u_end, u.reason
       from appointment a join slot s on s.id = a.slot_id
       join unavailability u on u.doctor_id = a.doctor_id and s.tags @> array[? || u.id::text]
      where a.id = any(?::uuid[]) and a.status = 'cancelled' and a.status_changed_by_id is not distinct from u.created_by_id`,
    [SYSTEM_TAG_PREFIX, pgArray(data.appointmentIds)],
  );
  const days = new Map<string, { count: number; reason: string; dayStart: Date }>();
  for (const row of rows) {
    const day = localDateOf(new Date(row.starts_at), zone);
    const dayStart = zonedToInstant(day, "00:00", zone);
    const dayEnd = zonedToInstant(addDays(day, 1), "00:00", zone);
    const covers = new Date(row.u_start) <= dayStart && (row.u_end === null || new Date(row.u_end) >= dayEnd);
    if (!covers) continue;
    const entry = days.get(day) ?? { count: 0, reason: row.reason ?? "no reason given", dayStart };
    entry.count += 1;
    days.set(day, entry);
  }
  return days;
}

/** The doctor's own cancellations (not reschedules) at this clinic in the hour up to the latest of this change's. */
async function recentDoctorCancellations(em: EntityManager, data: CancellationAlertData, doctorUserId: string) {
  const [latest] = await em.execute<{ at: Date | null }[]>(
    `select max(updated_at) as at from appointment where id = any(?::uuid[]) and status = 'cancelled' and status_changed_by_id = ?`,
    [pgArray(data.appointmentIds), doctorUserId],
  );
  if (!latest?.at) return null;
  const rows = await em.execute<{ status_reason: string | null }[]>(
    `select a.status_reason from appointment a
      where a.doctor_id = ? and a.clinic_id = ? and a.status = 'cancelled' and a.status_changed_by_id = ?
        and a.updated_at > ?::timestamptz - interval '1 hour' and a.updated_at <= ?
        and not exists (select 1 from appointment n where n.rescheduled_from = a.id)
      order by a.updated_at desc`,
    [data.doctorId, data.clinicId, doctorUserId, latest.at, latest.at],
  );
  const reasons = [...new Set(rows.map((row) => row.status_reason).filter((reason): reason is string => !!reason))];
  return { at: new Date(latest.at), count: rows.length, reason: reasons.slice(0, 3).join("; ") || "no reason given" };
}

export interface AlertOutcome {
  leaveDays: number;
  spree: boolean;
  messages: number;
}

/** The job: decides from the database what to tell the clinic's admins; safe to run any number of times. */
export async function checkCancellationAlerts(ctx: ModuleContext, data: CancellationAlertData): Promise<AlertOutcome> {
  const em = ctx.orm.em.fork() as EntityManager;
  const facts = await readFacts(em, data.doctorId, data.clinicId);
  if (!facts || facts.adminUserIds.length === 0) return { leaveDays: 0, spree: false, messages: 0 };
  const leaveDays = await wholeDayLeaves(em, data, facts.timeZone);
  // One event, one alert: a whole-day leave is not also reported as a cancelling spree.
  const spree = leaveDays.size === 0 ? await recentDoctorCancellations(em, data, facts.doctorUserId) : null;
  const alertSpree = spree !== null && spree.count > facts.perHour;
  if (leaveDays.size === 0 && !alertSpree) return { leaveDays: 0, spree: false, messages: 0 };

  const common = { doctor: facts.doctorName, clinic: facts.clinicName };
  const ids = await em.transactional(async (tx) => {
    const written: string[] = [];
    for (const userId of facts.adminUserIds) {
      for (const [day, entry] of leaveDays) {
        written.push(
          ...(await notify(tx, {
            userId,
            template: "alert.leave-day",
            clinicId: data.clinicId,
            key: `alert.leave-day:${data.doctorId}:${data.clinicId}:${day}:${userId}`,
            payload: { ...common, date: longDate(entry.dayStart, facts.timeZone), count: String(entry.count), reason: entry.reason },
          })),
        );
      }
      if (alertSpree) {
        const hour = spree.at.toISOString().slice(0, 13);
        written.push(
          ...(await notify(tx, {
            userId,
            template: "alert.cancellations",
            clinicId: data.clinicId,
            key: `alert.cancellations:${data.doctorId}:${data.clinicId}:${hour}:${userId}`,
            payload: { ...common, count: String(spree.count), reason: spree.reason },
          })),
        );
      }
    }
    return written;
  });
  await dispatchMessages(ctx, ids);
  return { leaveDays: leaveDays.size, spree: alertSpree, messages: ids.length };
}
