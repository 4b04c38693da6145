/**
 * The places a booking takes: a slot (version-checked conditional update, lapsed holds taken over)
 * or an offer in an elastic block (under the block's row lock). Reads before the transaction, takes
 * inside it; the booking service inserts the appointment around them.
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import type { Logger } from "pino";
import type { Lock } from "redlock";
import type { Locks } from "../../platform/locks";
import { conflict, notFound, unprocessable } from "../../platform/errors";
import { isFree, lockBlock, placeAllocation, readSlot, setBookedAllocationStatus, slotTaken, takeSlot as takeSlotRow, type SlotRow } from "../scheduling";
import type { Changes } from "./appointment.store";
import { lapsedAppointmentHoldSql } from "./appointment.views";

const MINUTE = 60_000;
const LOCK_TTL_MS = 5_000;

/**
 * Redlock admission on a slot: one contender at a time, the others get 409 SLOT_BUSY at once. With
 * Redis down it returns null and PostgreSQL alone decides (admission control is lost, correctness not).
 */
export async function admitSlot(locks: Locks, log: Logger, slotId: string): Promise<Lock | null> {
  let lock: Lock | null;
  try {
    lock = await locks.tryAcquire(`slot:${slotId}`, LOCK_TTL_MS);
  } catch (error) {
    log.warn({ err: error, slotId }, "slot lock unavailable; relying on the database");
    return null;
  }
  if (!lock) throw conflict("SLOT_BUSY");
  return lock;
}

/** Where a booking goes: a slot, or an offer in an elastic block (the row lock there queues contenders). */
export type Place = { kind: "slot"; slot: SlotRow } | { kind: "elastic"; blockId: string; minutes: number };

/** Reads and checks the place asked for: its doctor, clinic and times. No writes. */
export async function readPlace(
  em: EntityManager,
  input: { slotId?: string | undefined; elastic?: { blockId: string; start: string } | undefined },
  minutesOf: (clinicId: string) => Promise<number>,
): Promise<{ place: Place; doctorId: string; clinicId: string; start: Date; end: Date; kind: string; slotServiceId: string | null }> {
  if (input.slotId) {
    const slot = await readSlot(em, input.slotId);
    if (!slot) throw notFound("Slot");
    if (!isFree(slot)) throw slotTaken();
    const place: Place = { kind: "slot", slot };
    return { place, doctorId: slot.doctor_id, clinicId: slot.clinic_id, start: new Date(slot.starts_at), end: new Date(slot.ends_at), kind: slot.kind, slotServiceId: slot.service_id };
  }
  const offer = input.elastic!;
  const [block] = await em.execute<{ id: string; doctor_id: string; clinic_id: string; starts_at: Date; ends_at: Date }[]>(
    `select id, doctor_id, clinic_id, starts_at, ends_at from elastic_block where id = ?`,
    [offer.blockId],
  );
  if (!block) throw notFound("Elastic block");
  const start = new Date(offer.start);
  if (start < new Date(block.starts_at) || start >= new Date(block.ends_at)) {
    throw unprocessable("OUTSIDE_BLOCK", { field: "body.elastic.start" });
  }
  const minutes = await minutesOf(block.clinic_id);
  const place: Place = { kind: "elastic", blockId: block.id, minutes };
  return { place, doctorId: block.doctor_id, clinicId: block.clinic_id, start, end: new Date(start.getTime() + minutes * MINUTE), kind: "regular", slotServiceId: null };
}

/**
 * Takes the slot at the version read (the slot store's conditional update); a lapsed hold it took
 * over has its pending appointment expired in the same transaction. Caller holds the slot lock.
 */
export async function takeSlot(tx: EntityManager, changes: Changes, slotId: string, status: "pending" | "scheduled", holdExpiresAt: Date | null): Promise<void> {
  const { tookOverLapsedHold } = await takeSlotRow(tx, slotId, status, holdExpiresAt);
  if (tookOverLapsedHold) {
    const expired = await tx.execute<{ id: string }[]>(
      `update appointment set status = 'expired', status_reason = 'hold lapsed', version = version + 1, updated_at = now()
        where slot_id = ? and ${lapsedAppointmentHoldSql("appointment")} returning id`,
      [slotId],
    );
    for (const row of expired) changes.appointment(row.id, "expired");
  }
  changes.slot(slotId, status === "pending" ? "held" : "booked");
}

/**
 * Books the offer in the locked block. Lapsed holds of the block are expired first (as a slot's
 * lapsed hold is taken over), which may move later bookings earlier.
 */
export async function takeElastic(
  tx: EntityManager,
  changes: Changes,
  place: Extract<Place, { kind: "elastic" }>,
  booking: { start: Date; serviceId: string | null; patientId: string },
  status: "pending" | "scheduled",
): Promise<{ allocationId: string; blockId: string }> {
  const block = await lockBlock(tx, place.blockId);
  const lapsed = await tx.execute<{ id: string; elastic_allocation_id: string }[]>(
    `update appointment set status = 'expired', status_reason = 'hold lapsed', version = version + 1, updated_at = now()
      where elastic_allocation_id in (select id from elastic_allocation where block_id = ?) and ${lapsedAppointmentHoldSql("appointment")}
      returning id, elastic_allocation_id`,
    [block.id],
  );
  for (const row of lapsed) {
    await setBookedAllocationStatus(tx, block, row.elastic_allocation_id, "freed");
    changes.appointment(row.id, "expired");
  }
  const placed = await placeAllocation(tx, block, {
    start: booking.start,
    minutes: place.minutes,
    serviceId: booking.serviceId,
    patientId: booking.patientId,
    status: status === "pending" ? "proposed" : "confirmed",
  });
  if (!placed) throw slotTaken();
  changes.block(block.id, status === "pending" ? "held" : "booked");
  return { allocationId: placed.allocationId, blockId: block.id };
}
