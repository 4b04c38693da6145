/**
 * Slot changes of the scheduling writers (rules, templates, clones, overbooking, time off and
 * closures, bulk operations, imports): the services read each changed slot's new state inside their
 * transaction and record it there as `slot.{cause}` domain events (`recorded`); the realtime
 * fan-out (slot.realtime.ts) and the waitlist's matching follow after commit as subscribers.
 * See docs/realtime.md and docs/scheduling.md for who sends which.
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import type { OperationSlot, SlotCause, SlotsAnnotated } from "@clinic/shared";
import { recordEvents } from "../../platform/outbox";
import type { Slot } from "./slot.entity";
import { recordSlotChanges, slotChange, type SlotChange, type SlotRow } from "./slot.store";

/**
 * Why a scheduling writer changed a slot (the event type is `slot.{cause}`):
 * - `created`  a new row (rule or template materialisation, clone, overbook, import, bulk resize);
 * - `updated`  a rule edit carried a new kind or service onto a slot it keeps (a new note or new tags
 *              alone are one `slots.annotated` summary for staff instead);
 * - `removed`  the row was deleted because a rule no longer produces it or a bulk resize replaced it;
 * - `deleted`  the row was deleted by a bulk delete;
 * - `expired`  a rule no longer produces it but appointment history references it, so it is expired;
 * - `blocked`  time off, a closure or a bulk block made it unbookable;
 * - `released` removing time off or a closure made it free again.
 */

/**
 * The `status` sent for a row that no longer exists. Not a stored status: the event's `version` is
 * the row's last version + 1, so a client that keeps the higher version drops the slot over any
 * state it saw before.
 */
export const DELETED_STATUS = "deleted";

/** A writer's reply, and the slots it changed (their new state, read in the transaction) to publish after commit. */
export interface WithSlotChanges<T> {
  reply: T;
  /** In publication order; empty for a dry run. */
  changes: SlotChange[];
  /** Free slots that took a rule's new note or tags only: one `slots.annotated` for staff (slot.realtime.ts). */
  annotated?: SlotsAnnotated | null;
}

/** From a row read (or `returning`-ed) inside the transaction. */
export function rowChange(row: SlotRow, cause: SlotCause): SlotChange {
  return slotChange({ ...row, hold_expires_at: row.status === "held" ? row.hold_expires_at : null }, cause);
}

/** A row that was deleted: its last state, `status: "deleted"` and `version + 1`. */
export function deletedRowChange(row: SlotRow, cause: "removed" | "deleted"): SlotChange {
  return { ...rowChange(row, cause), status: DELETED_STATUS, version: row.version + 1, holdExpiresAt: null };
}

/** From an entity flushed inside the transaction. */
export function entityChange(slot: Slot, cause: SlotCause): SlotChange {
  return {
    slotId: slot.id,
    doctorId: slot.doctor.id,
    clinicId: slot.clinic.id,
    start: slot.startsAt.toISOString(),
    end: slot.endsAt.toISOString(),
    status: slot.status,
    kind: slot.kind,
    version: slot.version,
    holdExpiresAt: slot.status === "held" && slot.holdExpiresAt ? slot.holdExpiresAt.toISOString() : null,
    cause,
  };
}

/** From the operations routes' reply view (time off and closures: those slots are never held). */
export function viewChanges(slots: OperationSlot[], cause: SlotCause): SlotChange[] {
  return slots.map((slot) => ({
    slotId: slot.id!,
    doctorId: slot.doctorId,
    clinicId: slot.clinicId,
    start: slot.start,
    end: slot.end,
    status: slot.status,
    kind: slot.kind,
    version: slot.version,
    holdExpiresAt: null,
    cause,
  }));
}

/** Earliest first; ties by id, so the order is stable. */
export const byStartThenId = (a: SlotChange, b: SlotChange) => a.start.localeCompare(b.start) || a.slotId.localeCompare(b.slotId);

/** Ends a scheduling write inside its transaction: records its slot changes (a dry run's roll back with it). */
export async function recorded<T extends { changes: readonly SlotChange[]; annotated?: SlotsAnnotated | null }>(tx: EntityManager, result: T): Promise<T> {
  await recordSlotChanges(tx, result.changes);
  if (result.annotated) await recordEvents(tx, [{ name: "slots.annotated", data: result.annotated }]);
  return result;
}
