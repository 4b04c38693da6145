/**
 * Cancels the live appointments on slots that a doctor's leave or a clinic closure released, inside
 * the caller's (scheduling's) transaction: scheduling asks through `Ports.leaveCancellations`. The
 * changes and a `leave.appointments_cancelled` event are recorded with it; the alerts module tells
 * each patient why, with the earliest alternatives, and payments refunds them in full.
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import { recordAudit, type AuditActor } from "../../platform/audit";
import { recordEvents } from "../../platform/outbox";
import { Changes, pgArray } from "./appointment.store";

/** How a cancellation by leave or closure begins its status reason (the visit messages leave those to alerts). */
export const LEAVE_REASON_PREFIX = "Cancelled by ";

/** Statuses the state machine lets go to `cancelled`. */
const CANCELLABLE = ["pending", "scheduled", "checked_in"];

export async function cancelAppointmentsOnReleasedSlots(
  tx: EntityManager,
  actor: AuditActor,
  input: { slotIds: string[]; reason: string; kind: string },
): Promise<{ cancelledAppointmentIds: string[] }> {
  if (input.slotIds.length === 0) return { cancelledAppointmentIds: [] };
  const rows = await tx.execute<{ id: string; slot_id: string; clinic_id: string; starts_at: Date; user_id: string }[]>(
    `update appointment a
        set status = 'cancelled', status_reason = ?, status_changed_by_id = ?, version = a.version + 1, updated_at = now()
       from patient p
      where p.id = a.patient_id and a.slot_id = any(?::uuid[]) and a.status = any(?::text[])
      returning a.id, a.slot_id, a.clinic_id, a.starts_at, p.user_id`,
    [`${LEAVE_REASON_PREFIX}${input.kind.replaceAll("_", " ")}: ${input.reason}`, actor.userId, pgArray(input.slotIds), pgArray(CANCELLABLE)],
  );
  const changes = new Changes();
  for (const row of rows) {
    changes.appointment(row.id, "cancelled");
    recordAudit(tx, actor, {
      action: "booking.appointment.cancel-by-leave",
      entityType: "Appointment",
      entityId: row.id,
      clinicId: row.clinic_id,
      after: { status: "cancelled", reason: input.reason },
    });
  }
  await changes.record(tx);
  if (rows.length > 0) {
    await recordEvents(tx, [
      {
        name: "leave.appointments_cancelled",
        data: {
          kind: input.kind,
          reason: input.reason,
          appointments: rows.map((row) => ({ appointmentId: row.id, slotId: row.slot_id, patientUserId: row.user_id, startsAt: new Date(row.starts_at).toISOString() })),
        },
      },
    ]);
  }
  return { cancelledAppointmentIds: rows.map((row) => row.id) };
}
