/**
 * Moving one visit to another doctor at its clinic (docs/handover.md): the appointment keeps its
 * id, status, price and payment; it takes a free slot of the receiving doctor, or an overbooked one
 * made for it, and its old place is freed. Used by the queue's reassign (a patient already waiting)
 * and by a handover of a date range (delegation.service.ts), which choose the place differently.
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import type { AuditActor } from "../../platform/audit";
import { vacatePlace, type Changes, type LockedAppointment } from "../booking";
import { moveDoctorShare } from "../payments";

/** Where the visit went, for the handover's audit event. */
export interface AppointmentHandover {
  appointmentId: string;
  fromSlotId: string | null;
  fromElasticAllocationId: string | null;
  toSlotId: string;
  /** True when no free slot of the receiving doctor was taken, so an overbooked one was made. */
  overbooked: boolean;
}

export interface FreePlace {
  id: string;
  starts_at: Date;
  ends_at: Date;
}

/**
 * The receiving doctor's free (`available`, regular) slot for a visit: `same-start` only one that
 * starts when the visit does (a booked patient keeps their time), `nearest` any overlapping the
 * visit, the same start first (a patient in the waiting room is seen when the doctor is free).
 * Walk-in and emergency slots are never taken: they are capacity kept for people without a booking.
 * With `lock`, a slot someone is booking right now is skipped, and the one returned is locked.
 */
export async function freePlaceFor(
  tx: EntityManager,
  toDoctorId: string,
  visit: { clinic_id: string; starts_at: Date; ends_at: Date },
  options: { match: "same-start" | "nearest"; lock: boolean },
): Promise<FreePlace | null> {
  const when = options.match === "same-start" ? `starts_at = ?::timestamptz` : `period && tstzrange(?::timestamptz, ?::timestamptz, '[)')`;
  const [free] = await tx.execute<FreePlace[]>(
    `select id, starts_at, ends_at from slot
      where doctor_id = ? and clinic_id = ? and status = 'available' and kind = 'regular' and ${when}
      order by abs(extract(epoch from starts_at - ?::timestamptz)), starts_at, id
      limit 1 ${options.lock ? "for update skip locked" : ""}`,
    [toDoctorId, visit.clinic_id, visit.starts_at, ...(options.match === "same-start" ? [] : [visit.ends_at]), visit.starts_at],
  );
  return free ?? null;
}

/**
 * Moves a locked appointment to `toDoctorId` at its clinic: into `place.free` (the visit takes that
 * slot's times), or else into a new slot with the visit's times flagged `overbooked` with
 * `place.overbookReason` (exempt from the no-overlap constraint, so it always fits; whether it is
 * allowed is the caller's decision). The old slot or elastic allocation is freed without returning
 * loyalty points: the visit still happens. A paid visit's wallet share moves to the receiving
 * doctor; the price the patient paid stays as it is.
 */
export async function handOverAppointment(
  tx: EntityManager,
  appointment: LockedAppointment,
  toDoctorId: string,
  place: { free: FreePlace } | { overbookReason: string },
  actor: AuditActor,
  changes: Changes,
): Promise<AppointmentHandover> {
  let taken: FreePlace;
  if ("free" in place) {
    await tx.execute(`update slot set status = 'booked', hold_expires_at = null, version = version + 1, updated_at = now() where id = ?`, [place.free.id]);
    taken = place.free;
  } else {
    const [made] = await tx.execute<FreePlace[]>(
      `insert into slot (id, doctor_id, clinic_id, service_id, starts_at, ends_at, status, kind, tags, overbooked, overbooked_by_id, overbook_reason, version, created_at, updated_at)
       values (gen_random_uuid(), ?, ?, ?, ?, ?, 'booked', 'regular', '{}', true, ?, ?, 1, now(), now()) returning id, starts_at, ends_at`,
      [toDoctorId, appointment.clinic_id, appointment.service_id, appointment.starts_at, appointment.ends_at, actor.userId, place.overbookReason],
    );
    taken = made!;
  }
  changes.slot(taken.id, "booked");
  // Move the appointment before freeing its old place, so re-timing the old elastic block cannot touch it.
  await tx.execute(
    `update appointment set doctor_id = ?, slot_id = ?, elastic_allocation_id = null, starts_at = ?, ends_at = ?, version = version + 1, updated_at = now()
      where id = ?`,
    [toDoctorId, taken.id, taken.starts_at, taken.ends_at, appointment.id],
  );
  changes.handedOver(appointment.id, appointment.doctor_id);
  await vacatePlace(tx, appointment, changes, "released");
  // A paid visit's share goes to the doctor who now gives it.
  await moveDoctorShare(tx, { appointmentId: appointment.id, doctorId: appointment.doctor_id }, { appointmentId: appointment.id, doctorId: toDoctorId });
  return {
    appointmentId: appointment.id,
    fromSlotId: appointment.slot_id,
    fromElasticAllocationId: appointment.elastic_allocation_id,
    toSlotId: taken.id,
    overbooked: !("free" in place),
  };
}
