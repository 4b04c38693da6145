/**
 * An elastic block as readers and events see it: its fill (minutes taken by live allocations, a
 * lapsed booking hold counting as free) and the `elastic.{cause}` events of a change.
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import type { BlockCause, blockChangeSchema } from "@clinic/shared";
import type { z } from "zod";
import { recordEvents } from "../../platform/outbox";

/** An elastic block's new fill after a committed change: viewers re-derive its offers from it. */
export type BlockChange = z.infer<typeof blockChangeSchema>;

/**
 * SQL: allocation `al` belongs to a booking hold that has lapsed, so its minutes are free. The
 * appointment part is booking's `lapsedAppointmentHoldSql`, written out: scheduling sits below
 * booking in the layers and cannot import it.
 */
export const LAPSED_BOOKING_HOLD = `exists (select 1 from appointment a where a.elastic_allocation_id = al.id and a.status = 'pending' and a.hold_expires_at <= now())`;

export interface BlockRow {
  id: string;
  doctor_id: string;
  clinic_id: string;
  starts_at: Date;
  ends_at: Date;
  capacity_minutes: number;
  version: number;
  used_minutes: number;
}

/** An elastic block with the minutes its live allocations take. */
export const BLOCK_SELECT = `select b.id, b.doctor_id, b.clinic_id, b.starts_at, b.ends_at, b.capacity_minutes, b.version,
  (select coalesce(sum(al.duration_minutes), 0)::int from elastic_allocation al
    where al.block_id = b.id and al.status <> 'freed' and not ${LAPSED_BOOKING_HOLD}) as used_minutes
  from elastic_block b`;

export async function readBlocks(em: EntityManager, blockIds: string[]): Promise<BlockRow[]> {
  return blockIds.length ? em.execute<BlockRow[]>(`${BLOCK_SELECT} where b.id = any(?::uuid[])`, [`{${blockIds.join(",")}}`]) : [];
}

const iso = (value: Date | string) => new Date(value).toISOString();

export function blockChange(row: BlockRow, cause: string): BlockChange {
  return {
    blockId: row.id,
    doctorId: row.doctor_id,
    clinicId: row.clinic_id,
    start: iso(row.starts_at),
    end: iso(row.ends_at),
    capacityMinutes: row.capacity_minutes,
    usedMinutes: row.used_minutes,
    version: row.version,
    cause,
  };
}

/** Records block changes as `elastic.{cause}` domain events in `tx`. */
export async function recordBlockChanges(tx: EntityManager, changes: readonly BlockChange[]): Promise<void> {
  await recordEvents(tx, changes.map((change) => ({ name: `elastic.${change.cause as BlockCause}`, data: change })));
}
