/**
 * Cancels the live appointments on slots that a doctor's leave or a clinic closure released, inside
 * the caller's transaction, and tells each patient why through notify() (their channels), with the
 * earliest alternatives. The scheduling module calls this and dispatches the returned outbox ids
 * after its commit; it owns no appointment data itself.
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import { recordAudit, type AuditActor } from "../../platform/audit";
import { notify } from "../notifications/notify";
import { readPreferences } from "../notifications/preferences";
import { pgArray } from "../booking/appointment.store";
import { formatWhen } from "../reminders/reminder-plan";

/** Statuses the state machine lets go to `cancelled`. */
const CANCELLABLE = ["pending", "scheduled", "checked_in"];
/** How many alternatives a message offers. */
export const ALTERNATIVES = 3;

export interface LeaveCancellation {
  appointmentId: string;
  slotId: string;
  patientUserId: string;
  startsAt: string;
}

export interface Alternative {
  slotId: string;
  doctorId: string;
  doctorName: string;
  /** ISO instant. */
  start: string;
  /** The same, display-ready in the clinic's zone. */
  when: string;
}

/** A free future regular slot, bookable by a patient right now (a lapsed hold is free to every reader). */
const BOOKABLE = `s.kind = 'regular' and s.starts_at > now() and (s.status = 'available' or (s.status = 'held' and s.hold_expires_at <= now()))`;

/**
 * The earliest free slots at the clinic, none of `released`: the same doctor's first, then (to make
 * up `ALTERNATIVES`) those of other approved, active doctors there who share a specialty with them.
 */
export async function earliestAlternatives(
  tx: EntityManager,
  input: { doctorId: string; clinicId: string; zone: string; released: string[] },
): Promise<Alternative[]> {
  type Row = { id: string; doctor_id: string; display_name: string; starts_at: Date };
  const select = `select s.id, s.doctor_id, d.display_name, s.starts_at from slot s join doctor d on d.id = s.doctor_id`;
  const own = await tx.execute<Row[]>(
    `${select} where s.doctor_id = ? and s.clinic_id = ? and ${BOOKABLE} and s.id <> all(?::uuid[]) order by s.starts_at, s.id limit ?`,
    [input.doctorId, input.clinicId, pgArray(input.released), ALTERNATIVES],
  );
  const others =
    own.length < ALTERNATIVES
      ? await tx.execute<Row[]>(
          `${select} join user_account u on u.id = d.user_id
            where s.clinic_id = ? and s.doctor_id <> ? and ${BOOKABLE} and s.id <> all(?::uuid[])
              and d.approval_status = 'approved' and u.status = 'active'
              and exists (select 1 from doctor_specialty mine join doctor_specialty theirs on theirs.specialty_id = mine.specialty_id
                           where mine.doctor_id = ? and theirs.doctor_id = s.doctor_id)
            order by s.starts_at, s.id limit ?`,
          [input.clinicId, input.doctorId, pgArray(input.released), input.doctorId, ALTERNATIVES - own.length],
        )
      : [];
  return [...own, ...others].map((row) => ({
    slotId: row.id,
    doctorId: row.doctor_id,
    doctorName: row.display_name,
    start: new Date(row.starts_at).toISOString(),
    when: formatWhen(new Date(row.starts_at), input.zone),
  }));
}

export function alternativesText(alternatives: Alternative[]): string {
  if (alternatives.length === 0) return "We found no free time to offer instead; please book again when it suits you.";
  return `Earliest alternatives: ${alternatives.map((a) => `${a.when} with ${a.doctorName}`).join("; ")}.`;
}

export async function cancelAppointmentsOnReleasedSlots(
  tx: EntityManager,
  actor: AuditActor,
  input: { slotIds: string[]; reason: string; kind: string },
): Promise<{ cancellations: LeaveCancellation[]; outboxIds: string[] }> {
  if (input.slotIds.length === 0) return { cancellations: [], outboxIds: [] };
  const rows = await tx.getConnection().execute<
    { id: string; slot_id: string; clinic_id: string; doctor_id: string; starts_at: Date; user_id: string; doctor: string; clinic: string; time_zone: string }[]
  >(
    `update appointment a
        set status = 'cancelled', status_reason = ?, status_changed_by_id = ?, version = a.version + 1, updated_at = now()
       from patient p, doctor d, clinic c
      where p.id = a.patient_id and d.id = a.doctor_id and c.id = a.clinic_id and a.slot_id = any(?::uuid[]) and a.status = any(?::text[])
      returning a.id, a.slot_id, a.clinic_id, a.doctor_id, a.starts_at, p.user_id, d.display_name as doctor, c.name as clinic, c.time_zone`,
    [`Cancelled by ${input.kind.replaceAll("_", " ")}: ${input.reason}`, actor.userId, pgArray(input.slotIds), pgArray(CANCELLABLE)],
    "all",
    tx.getTransactionContext(),
  );
  const preferences = await readPreferences(tx, rows.map((row) => row.user_id));
  const alternativesFor = new Map<string, Promise<Alternative[]>>();
  const cancellations: LeaveCancellation[] = [];
  const outboxIds: string[] = [];
  for (const row of rows) {
    const startsAt = new Date(row.starts_at).toISOString();
    const place = `${row.doctor_id}/${row.clinic_id}`;
    if (!alternativesFor.has(place)) {
      alternativesFor.set(place, earliestAlternatives(tx, { doctorId: row.doctor_id, clinicId: row.clinic_id, zone: row.time_zone, released: input.slotIds }));
    }
    const alternatives = await alternativesFor.get(place)!;
    const payload = {
      appointmentId: row.id,
      slotId: row.slot_id,
      startsAt,
      when: formatWhen(new Date(row.starts_at), row.time_zone),
      doctor: row.doctor,
      clinic: row.clinic,
      reason: input.reason,
      alternativesText: alternativesText(alternatives),
      alternatives: alternatives.map(({ slotId, doctorId, doctorName, start }) => ({ slotId, doctorId, doctorName, start })),
    };
    const notice = { userId: row.user_id, template: "booking.cancelled-by-leave", payload, clinicId: row.clinic_id, key: `leave-cancel-${row.id}` } as const;
    outboxIds.push(...(await notify(tx, notice, preferences.get(row.user_id))));
    recordAudit(tx, actor, {
      action: "booking.appointment.cancel-by-leave",
      entityType: "Appointment",
      entityId: row.id,
      clinicId: row.clinic_id,
      after: { status: "cancelled", reason: input.reason },
    });
    cancellations.push({ appointmentId: row.id, slotId: row.slot_id, patientUserId: row.user_id, startsAt });
  }
  return { cancellations, outboxIds };
}
