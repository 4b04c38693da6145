/** Appointment lists: a patient's own, a doctor's and a clinic's day, a patient's history. */
import type { EntityManager } from "@mikro-orm/postgresql";
import { addDays, type AppointmentHistory, type AppointmentView, type DayPatient } from "@clinic/shared";
import { APPOINTMENT_COLUMNS, appointmentView, lapsedAppointmentHoldSql, liveAppointmentSql, type AppointmentRow } from "./appointment.views";
import { noShowStanding } from "./booking-policy";

/** Lapsed holds are not shown as live anywhere, whether or not the expiry job has run. */
const LIVE = liveAppointmentSql("a");

export async function myAppointments(em: EntityManager, patientId: string, when: "upcoming" | "past"): Promise<AppointmentView[]> {
  const rows =
    when === "upcoming"
      ? await em.execute<AppointmentRow[]>(
          `select ${APPOINTMENT_COLUMNS} from appointment a where a.patient_id = ? and a.ends_at > now() and ${LIVE}
            order by a.starts_at, a.id limit 500`,
          [patientId],
        )
      : await em.execute<AppointmentRow[]>(
          `select ${APPOINTMENT_COLUMNS} from appointment a where a.patient_id = ? and not (a.ends_at > now() and ${LIVE})
            order by a.starts_at desc, a.id limit 500`,
          [patientId],
        );
  return rows.map(appointmentView);
}

/**
 * The day's appointments (not cancelled, expired or lapsed) of a doctor or a clinic; `date` is the
 * local date in each appointment's clinic zone. `clinicIds` null = every clinic.
 */
export async function dayAppointments(
  em: EntityManager,
  filter: { doctorId?: string; clinicId?: string; clinicIds: string[] | null },
  date: string,
): Promise<AppointmentView[]> {
  const { where, params } = dayConditions(filter, date);
  const rows = await em.execute<AppointmentRow[]>(
    `select ${APPOINTMENT_COLUMNS} from appointment a join clinic c on c.id = a.clinic_id where ${where}
      order by a.starts_at, a.id`,
    params,
  );
  return rows.map(appointmentView);
}

/** The names of the patients of the same day's appointments (a doctor's timeline names its patients). */
export async function dayPatients(
  em: EntityManager,
  filter: { doctorId?: string; clinicId?: string; clinicIds: string[] | null },
  date: string,
): Promise<DayPatient[]> {
  const { where, params } = dayConditions(filter, date);
  const rows = await em.execute<{ id: string; full_name: string }[]>(
    `select distinct p.id, p.full_name from appointment a join clinic c on c.id = a.clinic_id join patient p on p.id = a.patient_id
      where ${where} order by p.full_name, p.id`,
    params,
  );
  return rows.map((row) => ({ patientId: row.id, fullName: row.full_name }));
}

function dayConditions(filter: { doctorId?: string; clinicId?: string; clinicIds: string[] | null }, date: string) {
  const conditions = [`a.status not in ('cancelled','expired')`, `not ${lapsedAppointmentHoldSql("a")}`];
  const params: unknown[] = [];
  // A day window wide enough for any zone, then the exact local date.
  conditions.push(`a.starts_at >= ?::date - interval '1 day' and a.starts_at < ?::date + interval '2 days'`);
  params.push(date, date);
  conditions.push(`(a.starts_at at time zone c.time_zone)::date = ?::date`);
  params.push(date);
  if (filter.doctorId) {
    conditions.push(`a.doctor_id = ?`);
    params.push(filter.doctorId);
  }
  if (filter.clinicId) {
    conditions.push(`a.clinic_id = ?`);
    params.push(filter.clinicId);
  }
  if (filter.clinicIds) {
    conditions.push(`a.clinic_id = any(?::uuid[])`);
    params.push(`{${filter.clinicIds.join(",")}}`);
  }
  return { where: conditions.join(" and "), params };
}

export async function patientHistory(em: EntityManager, patientId: string): Promise<AppointmentHistory> {
  const rows = await em.execute<AppointmentRow[]>(
    `select ${APPOINTMENT_COLUMNS} from appointment a where a.patient_id = ? and a.starts_at < now()
      order by a.starts_at desc, a.id limit 100`,
    [patientId],
  );
  const standing = await noShowStanding(em, patientId);
  return { items: rows.map(appointmentView), ...standing };
}

export const nextDay = (date: string) => addDays(date, 1);
