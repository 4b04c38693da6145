/**
 * Confirm and cancel of an appointment on a slot in one transaction of two prepared statements
 * (docs/booking.md "Confirm, cancel, reschedule: the common case", docs/performance.md): one
 * locking read of the appointment and its slot (`for update`) with every fact the checks need
 * (who may act, the queue, the clinic's cutoff, pending moves, the doctor's notice), and one CTE
 * that changes both rows and inserts the audit row and the domain events. Both rows are locked by
 * the read, so the write's outcome is known before it runs: the audit's `after` and the events are
 * built here from the rows read, and the events are delivered from the ids the write returns once
 * the transaction has committed (`outbox.committed`).
 *
 * The common case only. An elastic booking (its block is locked before the appointment), a slot
 * in an unexpected state, a hold that lapsed or needs paying, pending moves to end: the caller's
 * general path answers, with its every check, after this returns null having written nothing.
 */
import { randomUUID } from "node:crypto";
import type { EntityManager } from "@mikro-orm/postgresql";
import { canTransition, isLapsedHold, type AppointmentStatus, type NewDomainEvent } from "@clinic/shared";
import { auditInsertSql, auditValues, type AuditActor } from "../../platform/audit";
import { eventsJson, insertEventsSql, type Outbox } from "../../platform/outbox";
import { prepared, runPrepared, type Statement } from "../../platform/prepared";
import { slotChange, slotTaken, type SlotRow } from "../scheduling";
import { illegalTransition, inQueue } from "./appointment.store";
import { APPOINTMENT_COLUMNS, appointmentChange, appointmentView, type AppointmentRow } from "./appointment.views";
import { freeBookingFactsSql, type FreeBookingFacts } from "./booking-policy";

/** The appointment and its slot, both locked, with the facts a status change checks. */
export type LockedOnSlot = AppointmentRow & {
  patient_user_id: string;
  slot: SlotRow;
  /** The queue ticket of a patient in today's queue for it, if any. */
  queued: string | null;
  /** The clinic's settings (the patient's cancel cutoff) and number (whom to call past it). */
  settings: unknown;
  clinic_phone: string | null;
  /** Holds waiting for a paid visit's price difference (`endPendingMoves`). */
  pending_moves: boolean;
  /** Confirm only: what the doctor's free-booking notice says. */
  notice: FreeBookingFacts | null;
};

const lockSql = (notice: boolean) => `
  select ${APPOINTMENT_COLUMNS}, p.user_id as patient_user_id,
         json_build_object('id', s.id, 'doctor_id', s.doctor_id, 'clinic_id', s.clinic_id, 'service_id', s.service_id, 'starts_at', s.starts_at,
           'ends_at', s.ends_at, 'status', s.status, 'kind', s.kind, 'tags', s.tags, 'note', s.note, 'version', s.version, 'hold_expires_at', s.hold_expires_at) as slot,
         (select q.ticket from queue_entry q where q.appointment_id = a.id and q.status in ('waiting', 'called', 'in_room') limit 1) as queued,
         (select c.settings from clinic c where c.id = a.clinic_id) as settings,
         (select c.phone from clinic c where c.id = a.clinic_id) as clinic_phone,
         exists (select 1 from appointment m where m.pending_move_from = a.id and m.status = 'pending') as pending_moves,
         ${notice ? `(select row_to_json(f) from (select ${freeBookingFactsSql("a")}) f)` : "null"} as notice
    from appointment a join slot s on s.id = a.slot_id join patient p on p.id = a.patient_id
   where a.id = $1 and a.elastic_allocation_id is null
     for update of a, s`;

/** $1 appointment. Nothing when it does not exist or is not on a slot. */
const LOCK_FOR_CONFIRM = prepared<LockedOnSlot>("appointment_lock_on_slot_confirm", lockSql(true));
const LOCK_FOR_CANCEL = prepared<LockedOnSlot>("appointment_lock_on_slot", lockSql(false));

type Written = { done: boolean; events: { id: string; occurredAt: string }[] | null };

/**
 * $1 appointment, $2 changed by, $3 reason (null: kept), $4 slot, $5 clinic, audit actor $6–$10,
 * before $11, after $12; events $13 batch, $14 `[{name, data}]`. The slot changes only from
 * `slotFrom`; when it did not, nothing is audited or recorded (`done` false: the caller rolls back).
 */
const writeSql = (to: AppointmentStatus, action: string, slotTo: string, slotFrom: string) => `
  with changed as (
    update appointment set status = '${to}', status_reason = coalesce($3::text, status_reason), status_changed_by_id = $2::uuid,
           hold_expires_at = null, version = version + 1, updated_at = now()
     where id = $1::uuid returning id
  ), place as (
    update slot set status = '${slotTo}', hold_expires_at = null, version = version + 1, updated_at = now()
     where id = $4::uuid and status in (${slotFrom}) and exists (select 1 from changed) returning id
  ), audit as (
    ${auditInsertSql("place", {
      actor: ["$6::uuid", "$7::text", "$8::text", "$9::text", "$10::text"],
      action: `'${action}'`,
      entityType: "'Appointment'",
      entityId: "$1::text",
      clinicId: "$5::uuid",
      before: "$11::jsonb",
      after: "$12::jsonb",
    })}
  ), events as (
    ${insertEventsSql("$13::uuid", "$14::jsonb", "exists (select 1 from place)")} returning id, occurred_at
  )
  select exists (select 1 from place) as done,
         (select json_agg(json_build_object('id', events.id::text, 'occurredAt', events.occurred_at) order by events.id) from events) as events`;

const CONFIRM = prepared<Written>("appointment_confirm_on_slot", writeSql("scheduled", "booking.appointment.confirm", "booked", "'held'"));
const CANCEL = prepared<Written>("appointment_cancel_on_slot", writeSql("cancelled", "booking.appointment.cancel", "available", "'held', 'booked'"));

export interface SlotChangeContext {
  principal: { userId: string };
  actor: AuditActor;
  committed: Outbox["committed"];
}

interface Change {
  write: Statement<Written>;
  to: AppointmentStatus;
  reason: string | null;
  slotStatus: SlotRow["status"];
  slotCause: "booked" | "released";
  cause: "confirmed" | "cancelled";
}

/** Runs `change` on the locked rows in `tx`: returns the appointment after it. */
async function write(tx: EntityManager, c: SlotChangeContext, row: LockedOnSlot, change: Change): Promise<{ after: AppointmentRow; batch: { id: string; events: NewDomainEvent[]; written: Written } }> {
  if (!canTransition(row.status, change.to)) throw illegalTransition(row.status, change.to);
  const { patient_user_id, slot, queued: _queued, settings: _settings, clinic_phone: _phone, pending_moves: _moves, notice: _notice, ...before } = row;
  const after: AppointmentRow = { ...before, status: change.to, status_reason: change.reason ?? before.status_reason, hold_expires_at: null, version: before.version + 1 };
  const freed = change.to === "cancelled" ? { previousStatus: before.status } : {};
  const events: NewDomainEvent[] = [
    { name: `slot.${change.slotCause}`, data: slotChange({ ...slot, status: change.slotStatus, hold_expires_at: null, version: slot.version + 1 }, change.slotCause) },
    { name: `appointment.${change.cause}`, data: appointmentChange({ ...after, patient_user_id }, change.cause, freed) },
  ];
  const batchId = randomUUID();
  const [written] = await runPrepared(tx, change.write, [
    row.id, c.principal.userId, change.reason, slot.id, row.clinic_id, ...auditValues(c.actor),
    JSON.stringify(appointmentView(before)), JSON.stringify(appointmentView(after)), batchId, eventsJson(events),
  ]);
  if (!written?.done || !written.events) throw slotTaken();
  return { after, batch: { id: batchId, events, written } };
}

/** Hands the batch the committed transaction wrote to the outbox (call after the commit). */
function deliver(c: SlotChangeContext, batch: { id: string; events: NewDomainEvent[]; written: Written }): void {
  c.committed(
    batch.id,
    batch.written.events!.map((event, index) => ({ ...batch.events[index]!, id: event.id, occurredAt: new Date(event.occurredAt) })),
  );
}

/**
 * Confirms a free, running hold on a slot: pending → scheduled, slot held → booked, and the doctor
 * told (`tell`, in the transaction: it returns the messages to dispatch after commit). Null (nothing
 * written) for anything else. `check` is the permission check, on the locked row.
 */
export async function confirmOnSlot(
  em: EntityManager,
  id: string,
  c: SlotChangeContext & { check(row: AppointmentRow): void; tell(tx: EntityManager, row: AppointmentRow, notice: FreeBookingFacts): Promise<string[]> },
): Promise<{ after: AppointmentRow; outbox: string[] } | null> {
  const result = await em.transactional(async (tx) => {
    const [row] = await runPrepared(tx, LOCK_FOR_CONFIRM, [id]);
    if (!row) return null;
    c.check(row);
    if (row.status !== "pending" || row.payment_status !== "not_required" || row.slot.status !== "held" || !row.notice) return null;
    if (isLapsedHold({ status: row.status, holdExpiresAt: row.hold_expires_at })) return null;
    const { after, batch } = await write(tx, c, row, { write: CONFIRM, to: "scheduled", reason: null, slotStatus: "booked", slotCause: "booked", cause: "confirmed" });
    const outbox = await c.tell(tx, after, row.notice);
    return { after, outbox, batch };
  });
  if (!result) return null;
  deliver(c, result.batch);
  return { after: result.after, outbox: result.outbox };
}

/**
 * Cancels an appointment on a slot and frees the slot (held or booked). Refuses a patient in the
 * queue (IN_QUEUE); `check` is the permission check and `cutoff` the patient's cancel cutoff, on the
 * locked row (and the clinic's settings). Null (nothing written) when it has pending moves or its
 * slot is in another state.
 */
export async function cancelOnSlot(
  em: EntityManager,
  id: string,
  reason: string,
  c: SlotChangeContext & { check(row: AppointmentRow): void; cutoff(row: AppointmentRow, settings: unknown, clinicPhone: string | null): void },
): Promise<AppointmentRow | null> {
  const result = await em.transactional(async (tx) => {
    const [row] = await runPrepared(tx, LOCK_FOR_CANCEL, [id]);
    if (!row) return null;
    c.check(row);
    if (row.queued) throw inQueue(row.queued);
    c.cutoff(row, row.settings, row.clinic_phone);
    if (row.pending_moves || (row.slot.status !== "held" && row.slot.status !== "booked")) return null;
    return write(tx, c, row, { write: CANCEL, to: "cancelled", reason, slotStatus: "available", slotCause: "released", cause: "cancelled" });
  });
  if (!result) return null;
  deliver(c, result.batch);
  return result.after;
}
