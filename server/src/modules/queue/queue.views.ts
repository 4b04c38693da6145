/** Reading the queue: a clinic's day (reception) and a doctor's own view (their entries plus unassigned walk-ins). */
import type { EntityManager } from "@mikro-orm/postgresql";
import type { QueueList } from "@clinic/shared";
import { notFound } from "../../platform/errors";
import { authorize, type UserPrincipal } from "../identity";
import { ENTRY_SELECT, clinicFacts, entryView, type EntryRow } from "./queue.store";

/** Active entries first (called and in the room, then waiting in likely call order), then the finished ones. */
const ORDER = `order by case q.status when 'in_room' then 0 when 'called' then 1 when 'waiting' then 2 else 3 end,
  (q.kind = 'emergency') desc, q.manual_rank asc nulls last, coalesce(a.starts_at, q.arrived_at), q.arrived_at, q.id`;

/** GET /clinics/:clinicId/queue: the clinic's staff; `date` defaults to today in the clinic's zone. */
export async function clinicQueue(em: EntityManager, principal: UserPrincipal, clinicId: string, date?: string): Promise<QueueList> {
  authorize(principal, "clinic.queue.manage", { clinicId });
  return clinicQueueOf(em, clinicId, date);
}

/** A clinic's queue of a day (today by default), unguarded: the route above and the `clinic:` snapshot. */
export async function clinicQueueOf(em: EntityManager, clinicId: string, date?: string): Promise<QueueList> {
  const clinic = await clinicFacts(em, clinicId);
  const day = date ?? clinic.today;
  const rows = await em.execute<EntryRow[]>(`${ENTRY_SELECT} where q.clinic_id = ? and q.service_day = ? ${ORDER}`, [clinic.id, day]);
  return { clinicId: clinic.id, date: day, items: rows.map(entryView) };
}

/**
 * GET /doctors/:doctorId/queue: the doctor (or staff of its clinics, the platform): today's entries
 * assigned to the doctor, and the unassigned walk-ins waiting at the doctor's clinics (each clinic's today).
 */
export async function doctorQueue(em: EntityManager, principal: UserPrincipal, doctorId: string): Promise<QueueList> {
  const clinics = await em.execute<{ clinic_id: string }[]>(`select clinic_id from doctor_clinic where doctor_id = ?`, [doctorId]);
  const doctorClinicIds = clinics.map((row) => row.clinic_id);
  if (principal.doctorId !== doctorId) {
    const [doctor] = await em.execute(`select 1 from doctor where id = ?`, [doctorId]);
    if (!doctor) throw notFound("Doctor");
  }
  authorize(principal, "doctor.patients.read", { doctorId, doctorClinicIds });
  return doctorQueueOf(em, doctorId);
}

/** A doctor's queue today, unguarded: the route above and the `doctor:` snapshot. */
export async function doctorQueueOf(em: EntityManager, doctorId: string): Promise<QueueList> {
  const rows = await em.execute<EntryRow[]>(
    `${ENTRY_SELECT} join clinic c on c.id = q.clinic_id
      where q.service_day = (now() at time zone c.time_zone)::date
        and (q.doctor_id = ? or (q.doctor_id is null and q.status = 'waiting' and q.clinic_id in (select clinic_id from doctor_clinic where doctor_id = ?)))
      ${ORDER}`,
    [doctorId, doctorId],
  );
  return { clinicId: null, date: null, items: rows.map(entryView) };
}
