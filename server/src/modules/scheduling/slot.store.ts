/**
 * The slot store (docs/scheduling.md): one row type and one set of columns for every reader, the one
 * SQL form of "a lapsed hold is free", the slot's live view, and `takeSlot`, the version-checked
 * conditional update every booking path takes a slot with.
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import { isLapsedHold, type SlotKind, type SlotStatus, type slotChangeSchema, type SlotCause } from "@clinic/shared";
import type { z } from "zod";
import { conflict } from "../../platform/errors";
import { recordEvents } from "../../platform/outbox";

/** A slot's state after a committed change, as events carry it (`slot.{cause}`). */
export type SlotChange = z.infer<typeof slotChangeSchema>;

export interface SlotRow {
  id: string;
  doctor_id: string;
  clinic_id: string;
  service_id: string | null;
  starts_at: Date;
  ends_at: Date;
  status: SlotStatus;
  kind: SlotKind;
  tags: string[];
  note: string | null;
  version: number;
  hold_expires_at: Date | null;
}

export const SLOT_COLUMNS = "id, doctor_id, clinic_id, service_id, starts_at, ends_at, status, kind, tags, note, version, hold_expires_at";

/** SLOT_COLUMNS of the slot named `alias` in a join (`s.id, s.doctor_id, …`). */
export const slotColumns = (alias: string) => SLOT_COLUMNS.split(", ").map((column) => `${alias}.${column}`).join(", ");

/**
 * SQL: the slot (alias `s` unless named) is held by a hold whose time is up (`isLapsedHold`'s SQL
 * form). `now` is SQL for the instant: `now()`, or `?` when the caller passes its own.
 */
export const lapsedSlotHoldSql = (alias = "s", now = "now()") => `(${alias}.status = 'held' and ${alias}.hold_expires_at <= ${now})`;

/** SQL: the slot is held by a hold still running (one without an expiry never lapses). */
export const liveSlotHoldSql = (alias = "s", now = "now()") =>
  `(${alias}.status = 'held' and (${alias}.hold_expires_at is null or ${alias}.hold_expires_at > ${now}))`;

/** SQL: the slot is free to book — available, or held by a hold that has lapsed. */
export const freeSlotSql = (alias = "s", now = "now()") => `(${alias}.status = 'available' or ${lapsedSlotHoldSql(alias, now)})`;

export const slotTaken = () => conflict("SLOT_TAKEN");

const lapsed = (row: Pick<SlotRow, "status" | "hold_expires_at">) => isLapsedHold({ status: row.status, holdExpiresAt: row.hold_expires_at });

export async function readSlot(em: EntityManager, slotId: string): Promise<SlotRow | null> {
  const [slot] = await em.execute<SlotRow[]>(`select ${SLOT_COLUMNS} from slot where id = ?`, [slotId]);
  return slot ?? null;
}

/** Whether a reader may book it now: available, or held by a lapsed hold. */
export const isFree = (row: Pick<SlotRow, "status" | "hold_expires_at">) => row.status === "available" || lapsed(row);

/**
 * Takes the slot at the version read: available, or held by a lapsed hold (then `tookOverLapsedHold`,
 * and the caller expires that hold's appointment in the same transaction). Held for a pending
 * booking, booked for a scheduled one. 409 SLOT_TAKEN when someone else got it first.
 */
export async function takeSlot(tx: EntityManager, slotId: string, status: "pending" | "scheduled", holdExpiresAt: Date | null): Promise<{ tookOverLapsedHold: boolean }> {
  const slot = await readSlot(tx, slotId);
  if (!slot || !isFree(slot)) throw slotTaken();
  const updated = await tx.execute<{ id: string }[]>(
    `update slot s set status = ?, hold_expires_at = ?, version = version + 1, updated_at = now()
      where s.id = ? and s.version = ? and ${freeSlotSql("s")} returning s.id`,
    [status === "pending" ? "held" : "booked", holdExpiresAt, slot.id, slot.version],
  );
  if (updated.length !== 1) throw slotTaken();
  return { tookOverLapsedHold: lapsed(slot) };
}

const iso = (value: Date | string) => new Date(value).toISOString();

/** A slot row as its live view with the cause (the events' payload). */
export function slotChange(row: Pick<SlotRow, "id" | "doctor_id" | "clinic_id" | "starts_at" | "ends_at" | "status" | "kind" | "version" | "hold_expires_at">, cause: string): SlotChange {
  return {
    slotId: row.id,
    doctorId: row.doctor_id,
    clinicId: row.clinic_id,
    start: iso(row.starts_at),
    end: iso(row.ends_at),
    status: row.status,
    kind: row.kind,
    version: row.version,
    holdExpiresAt: row.hold_expires_at ? iso(row.hold_expires_at) : null,
    cause,
  };
}

/** Records slot changes as `slot.{cause}` domain events in `tx` (their realtime and waitlist follow-ups are subscribers). */
export async function recordSlotChanges(tx: EntityManager, changes: readonly SlotChange[]): Promise<void> {
  await recordEvents(tx, changes.map((change) => ({ name: `slot.${change.cause as SlotCause}`, data: change })));
}
