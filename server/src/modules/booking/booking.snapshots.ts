/**
 * What a subscriber sees first on each booking topic: the current rows, in the same shape as the
 * events' `data` (minus `cause`), so a client can replace its state with the snapshot and then apply
 * events by `slotId` / `appointmentId`.
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import { liveAppointmentStatuses, type AppointmentLive } from "@clinic/shared";
import { unreadCount } from "../notifications";
import { APPOINTMENT_COLUMNS, appointmentChange, type AppointmentRow } from "./appointment.views";

/** Upper bound on rows in one snapshot; a client needing more pages through REST. */
export const SNAPSHOT_LIMIT = 500;

const LIVE = `array[${liveAppointmentStatuses.map((status) => `'${status}'`).join(",")}]::text[]`;

/** The event payload without its cause: the same builder the events use. */
function appointmentView(row: AppointmentRow & { patient_user_id: string }): AppointmentLive {
  const { cause: _cause, ...view } = appointmentChange(row, "");
  return view;
}

const APPOINTMENT_SELECT = `select ${APPOINTMENT_COLUMNS}, p.user_id as patient_user_id
  from appointment a join patient p on p.id = a.patient_id join clinic c on c.id = a.clinic_id`;

/** Start of the local day `offsetDays` from today in the appointment's clinic zone (DST-correct). */
const localDay = (offsetDays: number) =>
  `((date_trunc('day', now() at time zone c.time_zone) + interval '${offsetDays} days') at time zone c.time_zone)`;

/**
 * `doctor:{doctorId}`: the doctor's live appointments from the start of today (clinic time) through
 * the next 7 days (the queue module adds the doctor's queue today, so a screen resyncs both).
 */
export async function doctorSnapshot(em: EntityManager, doctorId: string): Promise<{ doctorId: string; appointments: AppointmentLive[] }> {
  const rows = await em.getConnection().execute<(AppointmentRow & { patient_user_id: string })[]>(
    `${APPOINTMENT_SELECT}
      where a.doctor_id = ? and a.status = any(${LIVE}) and a.starts_at >= ${localDay(0)} and a.starts_at < ${localDay(8)}
      order by a.starts_at, a.id limit ?`,
    [doctorId, SNAPSHOT_LIMIT],
  );
  return { doctorId, appointments: rows.map(appointmentView) };
}

/** `clinic:{clinicId}`: the clinic's live appointments today (clinic time); the queue module adds the queue. */
export async function clinicSnapshot(em: EntityManager, clinicId: string): Promise<{ clinicId: string; appointments: AppointmentLive[] }> {
  const rows = await em.getConnection().execute<(AppointmentRow & { patient_user_id: string })[]>(
    `${APPOINTMENT_SELECT}
      where a.clinic_id = ? and a.status = any(${LIVE}) and a.starts_at >= ${localDay(0)} and a.starts_at < ${localDay(1)}
      order by a.starts_at, a.id limit ?`,
    [clinicId, SNAPSHOT_LIMIT],
  );
  return { clinicId, appointments: rows.map(appointmentView) };
}

/** `me:{userId}`: the user's own live appointments that have not ended yet, and the inbox's unread count (the waitlist adds its offers). */
export async function meSnapshot(em: EntityManager, userId: string, now = new Date()): Promise<{ userId: string; appointments: AppointmentLive[]; unreadNotifications: number }> {
  const rows = await em.getConnection().execute<(AppointmentRow & { patient_user_id: string })[]>(
    `${APPOINTMENT_SELECT}
      where p.user_id = ? and a.status = any(${LIVE}) and a.ends_at > ?
      order by a.starts_at, a.id limit ?`,
    [userId, now, SNAPSHOT_LIMIT],
  );
  return { userId, appointments: rows.map(appointmentView), unreadNotifications: await unreadCount(em, userId) };
}
