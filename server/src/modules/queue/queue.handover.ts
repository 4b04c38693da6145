/**
 * A handover moves the visit, not only the queue entry (docs/queue.md "Handover"): the appointment
 * goes to the receiving doctor in the reassign's transaction, into a free slot of theirs at that
 * time, or else into an overbooked slot made for it.
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
  /** True when no free slot of the receiving doctor overlapped, so an overbooked one was made. */
  overbooked: boolean;
}

interface PlaceRow {
  id: string;
  starts_at: Date;
  ends_at: Date;
}

/**
 * Moves a locked appointment to `toDoctorId` at its clinic. It takes the receiving doctor's free
 * (`available`, regular) slot that overlaps the visit's time, the same start first, else the
 * nearest start; the visit takes that slot's times. Without one, the visit keeps its times in a new
 * slot of the receiving doctor flagged `overbooked` with the handover's reason: overbooked slots are
 * exempt from the no-overlap constraint, so this always works whatever the receiving doctor has
 * booked or blocked then, and it is not held to the clinic's overbooking policy or cap, because the
 * patient is already waiting here and the doctor they came for is not seeing them. The old slot (or
 * elastic allocation) is freed without returning loyalty points: the visit still happens. A paid
 * visit's wallet share moves to the receiving doctor; the price the patient paid stays as it is.
 */
export async function handOverAppointment(
  tx: EntityManager,
  appointment: LockedAppointment,
  toDoctorId: string,
  reason: string | null,
  actor: AuditActor,
  changes: Changes,
): Promise<AppointmentHandover> {
  // skip locked: a slot someone is booking right now is not free for us.
  const [free] = await tx.execute<PlaceRow[]>(
    `select id, starts_at, ends_at from slot
      where doctor_id = ? and clinic_id = ? and status = 'available' and kind = 'regular'
        and period && tstzrange(?::timestamptz, ?::timestamptz, '[)')
      order by abs(extract(epoch from starts_at - ?::timestamptz)), starts_at, id
      limit 1 for update skip locked`,
    [toDoctorId, appointment.clinic_id, appointment.starts_at, appointment.ends_at, appointment.starts_at],
  );
  let place: PlaceRow;
  if (free) {
    await tx.execute(`update slot set status = 'booked', hold_expires_at = null, version = version + 1, updated_at = now() where id = ?`, [free.id]);
    place = free;
  } else {
    const [made] = await tx.execute<PlaceRow[]>(
      `insert into slot (id, doctor_id, clinic_id, service_id, starts_at, ends_at, status, kind, tags, overbooked, overbooked_by_id, overbook_reason, version, created_at, updated_at)
       values (gen_random_uuid(), ?, ?, ?, ?, ?, 'booked', 'regular', '{}', true, ?, ?, 1, now(), now()) returning id, starts_at, ends_at`,
      [toDoctorId, appointment.clinic_id, appointment.service_id, appointment.starts_at, appointment.ends_at, actor.userId, reason ?? "Queue handover (no reason given)"],
    );
    place = made!;
  }
  changes.slot(place.id, "booked");
  // Move the appointment before freeing its old place, so re-timing the old elastic block cannot touch it.
  await tx.execute(
    `update appointment set doctor_id = ?, slot_id = ?, elastic_allocation_id = null, starts_at = ?, ends_at = ?, version = version + 1, updated_at = now()
      where id = ?`,
    [toDoctorId, place.id, place.starts_at, place.ends_at, appointment.id],
  );
  changes.handedOver(appointment.id, appointment.doctor_id);
  await vacatePlace(tx, appointment, changes, "released");
  // A paid visit's share goes to the doctor who now gives it.
  await moveDoctorShare(tx, { appointmentId: appointment.id, doctorId: appointment.doctor_id }, { appointmentId: appointment.id, doctorId: toDoctorId });
  return {
    appointmentId: appointment.id,
    fromSlotId: appointment.slot_id,
    fromElasticAllocationId: appointment.elastic_allocation_id,
    toSlotId: place.id,
    overbooked: !free,
  };
}
