/**
 * The SQL the booking service writes with: appointment reads and row locks, status changes through
 * the state machine, slot release, database errors mapped to problems, and the changes a transaction
 * records as domain events (their realtime, reminders, waitlist … follow after commit).
 */
import { UniqueConstraintViolationException } from "@mikro-orm/core";
import type { EntityManager } from "@mikro-orm/postgresql";
import { canTransition, type AppointmentCause, type AppointmentStatus, type BlockCause, type DomainEvent, type SlotCause } from "@clinic/shared";
import { recordEvents, type Subscriber } from "../../platform/outbox";
import { prepared, runPrepared } from "../../platform/prepared";
import { conflict, notFound } from "../../platform/errors";
import {
  SLOT_COLUMNS,
  blockChange,
  slotTaken,
  lockBlock,
  readBlocks,
  retimeBookedAllocations,
  setBookedAllocationStatus,
  slotChange,
  type LockedBlock,
  type SlotRow,
} from "../scheduling";
import { APPOINTMENT_COLUMNS, appointmentChange, type AppointmentRow } from "./appointment.views";

/** A PostgreSQL array literal (MikroORM expands JS arrays into lists). */
export const pgArray = (ids: string[]) => `{${ids.join(",")}}`;

const SNAPSHOT_SLOTS = prepared<SlotRow>("booking_snapshot_slots", `select ${SLOT_COLUMNS} from slot where id = any($1::uuid[])`);
const SNAPSHOT_APPOINTMENTS = prepared<AppointmentRow & { patient_user_id: string }>(
  "booking_snapshot_appointments",
  `select ${APPOINTMENT_COLUMNS}, p.user_id as patient_user_id from appointment a join patient p on p.id = a.patient_id where a.id = any($1::uuid[])`,
);

/** What a transaction changed, recorded as domain events before it commits (`record`). */
export class Changes {
  readonly slots = new Map<string, SlotCause>();
  readonly blocks = new Map<string, BlockCause>();
  readonly appointments = new Map<string, AppointmentCause>();
  /** Appointments that moved to another doctor, with the doctor they left (their topic hears it too). */
  readonly previousDoctors = new Map<string, string>();
  /** Appointments whose place was freed, with the status they had (loyalty returns points by it). */
  readonly previousStatuses = new Map<string, AppointmentStatus>();
  slot(id: string, cause: SlotCause) {
    this.slots.set(id, cause);
    return this;
  }
  block(id: string, cause: BlockCause) {
    this.blocks.set(id, cause);
    return this;
  }
  /** Appointments whose times followed their elastic allocation; an earlier cause for one wins. */
  retimed(ids: string[]) {
    for (const id of ids) if (!this.appointments.has(id)) this.appointments.set(id, "retimed");
    return this;
  }
  appointment(id: string, cause: AppointmentCause) {
    this.appointments.set(id, cause);
    return this;
  }
  /** The visit moved from `previousDoctorId` to another doctor (a queue handover). */
  handedOver(id: string, previousDoctorId: string) {
    this.previousDoctors.set(id, previousDoctorId);
    return this.appointment(id, "handed_over");
  }
  /** The appointment gave its place up, leaving `status` (set once: the first status it left counts). */
  freed(id: string, status: AppointmentStatus) {
    if (!this.previousStatuses.has(id)) this.previousStatuses.set(id, status);
    return this;
  }
  get isEmpty() {
    return this.slots.size + this.blocks.size + this.appointments.size === 0;
  }
  /** Reads the committed-to-be state inside the transaction. */
  async snapshot(tx: EntityManager) {
    const slotIds = [...this.slots.keys()];
    const apptIds = [...this.appointments.keys()];
    const [slots, blocks, appointments] = await Promise.all([
      slotIds.length ? runPrepared(tx, SNAPSHOT_SLOTS, [pgArray(slotIds)]) : [],
      readBlocks(tx, [...this.blocks.keys()]),
      apptIds.length ? runPrepared(tx, SNAPSHOT_APPOINTMENTS, [pgArray(apptIds)]) : [],
    ]);
    return {
      slots: slots.map((row) => slotChange(row, this.slots.get(row.id)!)),
      blocks: blocks.map((row) => blockChange(row, this.blocks.get(row.id)!)),
      appointments: appointments.map((row) =>
        appointmentChange(row, this.appointments.get(row.id)!, { previousDoctorId: this.previousDoctors.get(row.id), previousStatus: this.previousStatuses.get(row.id) }),
      ),
    };
  }
  /**
   * Records the changes as domain events in `tx` (slots and blocks first, then appointments, each
   * in the order changed) and returns them as read. Call last in the transaction.
   */
  async record(tx: EntityManager): Promise<Snapshot> {
    const snapshot = await this.snapshot(tx);
    await recordEvents(tx, [
      ...snapshot.slots.map((change) => ({ name: `slot.${change.cause as SlotCause}` as const, data: change })),
      ...snapshot.blocks.map((change) => ({ name: `elastic.${change.cause as BlockCause}` as const, data: change })),
      ...snapshot.appointments.map((change) => ({ name: `appointment.${change.cause as AppointmentCause}` as const, data: change })),
    ]);
    return snapshot;
  }
}

export type Snapshot = Awaited<ReturnType<Changes["snapshot"]>>;

const BOOKING_NOUNS = ["slot.", "elastic.", "appointment."];
const isBookingChange = (name: string) => BOOKING_NOUNS.some((noun) => name.startsWith(noun));

/**
 * A subscriber to what a batch changed in slots, blocks and appointments, handed over as the
 * snapshot its writer recorded (the follow-up work of reminders, waitlist, loyalty, alerts …).
 */
export function bookingChangesSubscriber(name: string, handle: (snapshot: Snapshot) => Promise<unknown>): Subscriber {
  return {
    name,
    wants: isBookingChange,
    handle: async (events) => {
      await handle(snapshotOf(events));
    },
  };
}

/** One batch's slot, block and appointment events as the snapshot their writer recorded. */
export function snapshotOf(events: readonly DomainEvent[]): Snapshot {
  const of = (noun: string) => events.filter((event) => event.name.startsWith(`${noun}.`));
  return {
    slots: of("slot").map((event) => event.data as Snapshot["slots"][number]),
    blocks: of("elastic").map((event) => event.data as Snapshot["blocks"][number]),
    appointments: of("appointment").map((event) => event.data as Snapshot["appointments"][number]),
  };
}

/**
 * A checked-in patient's appointment belongs to the queue while they are in it: the queue's actions
 * change both in one transaction, so the booking routes leave it alone (check-in locks the
 * appointment row too, so the two cannot race).
 */
export async function assertNotQueued(tx: EntityManager, appointmentId: string): Promise<void> {
  const [queued] = await tx.execute<{ ticket: string }[]>(
    `select ticket from queue_entry where appointment_id = ? and status in ('waiting', 'called', 'in_room')`,
    [appointmentId],
  );
  if (queued) throw inQueue(queued.ticket);
}

export const inQueue = (ticket: string) => conflict("IN_QUEUE", `The patient is in today's queue (${ticket}): use the queue's actions`, { ticket });

export const illegalTransition = (from: AppointmentStatus, to: AppointmentStatus) =>
  conflict("ILLEGAL_TRANSITION", `An appointment cannot go from ${from} to ${to}`, { from, to });

/** An appointment row locked for a change, with its elastic block (locked too) when it has one. */
export interface LockedAppointment extends AppointmentRow {
  block: LockedBlock | null;
}

const BLOCK_OF = prepared<{ block_id: string | null }>(
  "appointment_block_of",
  `select al.block_id from appointment a left join elastic_allocation al on al.id = a.elastic_allocation_id where a.id = $1`,
);
const LOCK = prepared<AppointmentRow>("appointment_lock", `select ${APPOINTMENT_COLUMNS} from appointment a where a.id = $1 for update`);
const LOCK_SKIP_LOCKED = prepared<AppointmentRow>("appointment_lock_skip_locked", `select ${APPOINTMENT_COLUMNS} from appointment a where a.id = $1 for update skip locked`);
const READ = prepared<AppointmentRow>("appointment_read", `select ${APPOINTMENT_COLUMNS} from appointment a where a.id = $1`);

/**
 * Locks an appointment for a change. An elastic booking's block is locked first: every writer of a
 * block takes the block row before its appointments, so two of them cannot deadlock. With
 * `skipLocked`, an appointment another transaction holds is not waited for: the answer is null.
 */
export async function lockedAppointment(tx: EntityManager, id: string): Promise<LockedAppointment>;
export async function lockedAppointment(tx: EntityManager, id: string, options: { skipLocked: boolean }): Promise<LockedAppointment | null>;
export async function lockedAppointment(tx: EntityManager, id: string, options: { skipLocked?: boolean } = {}): Promise<LockedAppointment | null> {
  const [place] = await runPrepared(tx, BLOCK_OF, [id]);
  if (!place) throw notFound("Appointment");
  const block = place.block_id ? await lockBlock(tx, place.block_id) : null;
  const [row] = await runPrepared(tx, options.skipLocked ? LOCK_SKIP_LOCKED : LOCK, [id]);
  if (!row && options.skipLocked) return null;
  if (!row) throw notFound("Appointment");
  return { ...row, block };
}

export async function readAppointment(em: EntityManager, id: string): Promise<AppointmentRow> {
  const [row] = await runPrepared(em, READ, [id]);
  if (!row) throw notFound("Appointment");
  return row;
}

export async function setAppointmentStatus(
  tx: EntityManager,
  row: AppointmentRow,
  to: AppointmentStatus,
  changedBy: string | null,
  reason: string | null,
): Promise<void> {
  if (!canTransition(row.status, to)) throw illegalTransition(row.status, to);
  await runPrepared(tx, SET_STATUS, [to, reason, changedBy, row.id]);
}

const SET_STATUS = prepared(
  "appointment_set_status",
  `update appointment set status = $1::text, status_reason = coalesce($2::text, status_reason), status_changed_by_id = $3::uuid,
     hold_expires_at = case when $1::text = 'pending' then hold_expires_at else null end, version = version + 1, updated_at = now()
   where id = $4::uuid`,
);

/** Frees the slot an appointment held or booked (only while it is still held/booked). */
async function releaseSlot(tx: EntityManager, slotId: string): Promise<void> {
  await runPrepared(tx, RELEASE_SLOT, [slotId]);
}

const RELEASE_SLOT = prepared(
  "slot_release",
  `update slot set status = 'available', hold_expires_at = null, version = version + 1, updated_at = now() where id = $1 and status in ('held', 'booked')`,
);

/**
 * Frees what a no-longer-live appointment occupied: its slot, or its elastic allocation (the later
 * bookings of the block move earlier and are re-timed). The change carries the status it left, so
 * loyalty gives back points the booking redeemed when that is due (docs/loyalty.md). Call after the
 * status change.
 */
export async function releasePlace(tx: EntityManager, row: LockedAppointment, changes: Changes, cause: SlotCause & BlockCause): Promise<void> {
  changes.freed(row.id, row.status);
  await vacatePlace(tx, row, changes, cause);
}

/**
 * Frees the slot or elastic allocation `row` (as read before the change) occupied, and nothing
 * else: for a visit that goes on in another place (a queue handover), so no points come back.
 */
export async function vacatePlace(tx: EntityManager, row: LockedAppointment, changes: Changes, cause: SlotCause & BlockCause): Promise<void> {
  if (row.slot_id) {
    await releaseSlot(tx, row.slot_id);
    changes.slot(row.slot_id, cause);
    return;
  }
  await setBookedAllocationStatus(tx, row.block!, row.elastic_allocation_id!, "freed");
  changes.block(row.block!.id, cause).retimed(await retimeBookedAllocations(tx, row.block!.id));
}

/**
 * Ends the pending moves of a paid visit (holds waiting for the difference): the visit was
 * cancelled, its status changed, or a newer move replaces them. Their places are freed; a payment
 * that still arrives for one is returned (docs/payments.md). Call with the visit's row locked.
 */
export async function endPendingMoves(tx: EntityManager, visitId: string, changes: Changes): Promise<void> {
  const moves = await tx.execute<{ id: string }[]>(`select id from appointment where pending_move_from = ? and status = 'pending'`, [visitId]);
  for (const move of moves) {
    const hold = await lockedAppointment(tx, move.id);
    if (hold.status !== "pending") continue;
    await setAppointmentStatus(tx, hold, "cancelled", null, "the move was replaced or its visit changed");
    changes.appointment(hold.id, "cancelled");
    await releasePlace(tx, hold, changes, "released");
  }
}

const BOOK_SLOT = prepared<{ id: string }>(
  "slot_book",
  `update slot set status = 'booked', hold_expires_at = null, version = version + 1, updated_at = now() where id = $1 and status = 'held' returning id`,
);

/** A confirmed hold takes its place for good: slot `booked`, or the allocation `confirmed`. */
export async function bookPlace(tx: EntityManager, row: LockedAppointment, changes: Changes): Promise<void> {
  if (row.slot_id) {
    const booked = await runPrepared(tx, BOOK_SLOT, [row.slot_id]);
    if (booked.length !== 1) throw slotTaken();
    changes.slot(row.slot_id, "booked");
    return;
  }
  await setBookedAllocationStatus(tx, row.block!, row.elastic_allocation_id!, "confirmed");
  changes.block(row.block!.id, "booked");
}

/** The money side of a new appointment: its status, price and what is due online now. */
export type Payment = Pick<AppointmentRow, "payment_status" | "fee_minor" | "transaction_fee_minor" | "currency" | "amount_due_minor">;

/** A new appointment row in the place just taken (the partial unique index is the last guard). */
export async function insertAppointment(
  tx: EntityManager,
  a: {
    slotId: string | null;
    elasticAllocationId: string | null;
    patientId: string;
    doctorId: string;
    clinicId: string;
    serviceId: string | null;
    start: Date;
    end: Date;
    status: "pending" | "scheduled";
    holdExpiresAt: Date | null;
    payment: Payment;
    bookedById: string | null;
    rescheduledFrom: string | null;
    /** A paid visit's move waiting for its difference (the visit stays booked until it is paid). */
    pendingMoveFrom?: string | null;
  },
): Promise<AppointmentRow> {
  const [row] = await tx.execute<AppointmentRow[]>(
    `insert into appointment as a (id, slot_id, elastic_allocation_id, patient_id, doctor_id, clinic_id, service_id, starts_at, ends_at, status, hold_expires_at,
       payment_status, fee_minor, transaction_fee_minor, currency, amount_due_minor, booked_by_id, rescheduled_from, pending_move_from, version, created_at, updated_at)
     values (gen_random_uuid(), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, now(), now()) returning ${APPOINTMENT_COLUMNS}`,
    [
      a.slotId, a.elasticAllocationId, a.patientId, a.doctorId, a.clinicId, a.serviceId, a.start, a.end, a.status, a.holdExpiresAt,
      a.payment.payment_status, a.payment.fee_minor, a.payment.transaction_fee_minor, a.payment.currency, a.payment.amount_due_minor,
      a.bookedById, a.rescheduledFrom, a.pendingMoveFrom ?? null,
    ],
  );
  return row!;
}

export function mapDatabaseError(error: unknown): never {
  if (error instanceof UniqueConstraintViolationException) throw slotTaken();
  const code = (error as { code?: string }).code;
  if (code === "40P01" || code === "40001") throw conflict("CONCURRENT_CHANGE");
  throw error;
}
