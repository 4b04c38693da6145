/**
 * Cancels the live appointments on slots that a doctor's leave or a clinic closure released, inside
 * the caller's transaction, and tells each patient why (outbox: in-app, and email when known). The
 * scheduling module calls this; it owns no appointment data itself.
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import { enqueueMessage } from "../notifications/outbox.service";
import { recordAudit, type AuditActor } from "../audit/audit.service";

/** Statuses the state machine lets go to `cancelled`. */
const CANCELLABLE = ["pending", "scheduled", "checked_in"];

export interface LeaveCancellation {
  appointmentId: string;
  slotId: string;
  patientUserId: string;
  startsAt: string;
}

export async function cancelAppointmentsOnReleasedSlots(
  tx: EntityManager,
  actor: AuditActor,
  input: { slotIds: string[]; reason: string; kind: string },
): Promise<LeaveCancellation[]> {
  if (input.slotIds.length === 0) return [];
  const rows = await tx.getConnection().execute<
    { id: string; slot_id: string; clinic_id: string; status: string; starts_at: Date; user_id: string; email: string | null }[]
  >(
    `update appointment a
        set status = 'cancelled', status_reason = ?, status_changed_by_id = ?, version = a.version + 1, updated_at = now()
       from patient p
      where p.id = a.patient_id and a.slot_id = any(?::uuid[]) and a.status = any(?::text[])
      returning a.id, a.slot_id, a.clinic_id, a.starts_at, p.user_id, coalesce(p.email, (select email from user_account where id = p.user_id)) as email`,
    [`Cancelled by ${input.kind.replaceAll("_", " ")}: ${input.reason}`, actor.userId, `{${input.slotIds.join(",")}}`, `{${CANCELLABLE.join(",")}}`],
    "all",
    tx.getTransactionContext(),
  );
  return rows.map((row) => {
    const startsAt = new Date(row.starts_at).toISOString();
    const payload = { appointmentId: row.id, slotId: row.slot_id, startsAt, reason: input.reason };
    enqueueMessage(tx, { userId: row.user_id, channel: "in_app", recipient: row.user_id, template: "booking.cancelled-by-leave", payload });
    if (row.email) {
      enqueueMessage(tx, { userId: row.user_id, channel: "email", recipient: row.email, template: "booking.cancelled-by-leave", payload });
    }
    recordAudit(tx, actor, {
      action: "booking.appointment.cancel-by-leave",
      entityType: "Appointment",
      entityId: row.id,
      clinicId: row.clinic_id,
      after: { status: "cancelled", reason: input.reason },
    });
    return { appointmentId: row.id, slotId: row.slot_id, patientUserId: row.user_id, startsAt };
  });
}
