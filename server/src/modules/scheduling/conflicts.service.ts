/**
 * What a schedule change would clash with: the doctor's live slots at any clinic, the doctor's
 * leave, the clinic's holidays and closures, and surgery (which keeps a doctor busy everywhere).
 * Reads only; the slot exclusion constraint stays the last word on overlaps.
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import type { ScheduleClash, UnavailabilityKind } from "@clinic/shared";
import { conflict, type DomainError } from "../../platform/errors";
import type { Blackout, Interval } from "./rule-expansion";

export async function sql<T>(em: EntityManager, query: string, params: unknown[]): Promise<T[]> {
  return em.getConnection().execute<T[]>(query, params, "all", em.getTransactionContext());
}

/** PostgreSQL's exclusion_violation (the slot_no_overlap constraint). */
export function isExclusionViolation(error: unknown): boolean {
  const e = error as { code?: string; cause?: { code?: string } } | null;
  return e?.code === "23P01" || e?.cause?.code === "23P01";
}

/** A slot that may clash, with its clinic's name. */
interface ClashRow {
  id: string;
  clinic_id: string;
  clinic_name: string;
  status: ScheduleClash["status"];
  starts_at: Date;
  ends_at: Date;
}

/** One query for the envelope of `intervals`, then pairwise in memory. */
export async function findSlotClashes(
  em: EntityManager,
  doctorId: string,
  intervals: Interval[],
  options: { excludeSlotIds?: Iterable<string> } = {},
): Promise<ScheduleClash[]> {
  if (intervals.length === 0) return [];
  const sorted = [...intervals].sort((a, b) => a.start.getTime() - b.start.getTime());
  const from = sorted[0]!.start;
  const to = new Date(Math.max(...sorted.map((i) => i.end.getTime())));
  const exclude = new Set(options.excludeSlotIds ?? []);
  const rows = await sql<ClashRow>(
    em,
    `select s.id, s.clinic_id, c.name as clinic_name, s.status, s.starts_at, s.ends_at
       from slot s join clinic c on c.id = s.clinic_id
      where s.doctor_id = ? and s.status <> 'expired' and not s.overbooked
        and s.period && tstzrange(?, ?, '[)')
      order by s.starts_at`,
    [doctorId, from, to],
  );
  // Elastic blocks are the doctor's time too: fixed slots may not be laid over them.
  const blocks = await sql<{ id: string; clinic_id: string; clinic_name: string; starts_at: Date; ends_at: Date }>(
    em,
    `select b.id, b.clinic_id, c.name as clinic_name, b.starts_at, b.ends_at
       from elastic_block b join clinic c on c.id = b.clinic_id
      where b.doctor_id = ? and b.starts_at < ? and b.ends_at > ?
      order by b.starts_at`,
    [doctorId, to, from],
  );
  const overlapsAny = (start: Date, end: Date) => sorted.some((interval) => interval.start < end && interval.end > start);
  const clashes: ScheduleClash[] = blocks
    .filter((block) => overlapsAny(new Date(block.starts_at), new Date(block.ends_at)))
    .map((block) => ({
      type: "elastic_block" as const,
      blockId: block.id,
      clinicId: block.clinic_id,
      clinicName: block.clinic_name,
      start: new Date(block.starts_at).toISOString(),
      end: new Date(block.ends_at).toISOString(),
    }));
  for (const row of rows) {
    if (exclude.has(row.id)) continue;
    const start = new Date(row.starts_at);
    const end = new Date(row.ends_at);
    for (let j = 0; j < sorted.length && sorted[j]!.start < end; j++) {
      if (sorted[j]!.end > start) {
        clashes.push({
          type: "slot",
          slotId: row.id,
          clinicId: row.clinic_id,
          clinicName: row.clinic_name,
          status: row.status,
          start: start.toISOString(),
          end: end.toISOString(),
        });
        break;
      }
    }
  }
  return clashes;
}

export interface ScopedBlackout extends Blackout {
  type: "doctor_leave" | "clinic_closure" | "surgery";
  clinicId: string | null;
  clinicName: string | null;
  reason: string | null;
}

/**
 * Unavailability that applies to a doctor's schedule at a clinic: the doctor's leave there or at
 * every clinic, the clinic's own holidays and closures, and the doctor's surgery at any clinic.
 */
export async function loadBlackouts(em: EntityManager, doctorId: string, clinicId: string, from: Date, to: Date): Promise<ScopedBlackout[]> {
  const rows = await sql<{
    id: string;
    doctor_id: string | null;
    clinic_id: string | null;
    clinic_name: string | null;
    kind: UnavailabilityKind;
    starts_at: Date;
    ends_at: Date | null;
    reason: string | null;
  }>(
    em,
    `select u.id, u.doctor_id, u.clinic_id, c.name as clinic_name, u.kind, u.starts_at, u.ends_at, u.reason
       from unavailability u left join clinic c on c.id = u.clinic_id
      where u.starts_at < ? and (u.ends_at is null or u.ends_at > ?)
        and ((u.doctor_id = ? and (u.clinic_id is null or u.clinic_id = ? or u.kind = 'surgery'))
          or (u.doctor_id is null and u.clinic_id = ?))
      order by u.starts_at`,
    [to, from, doctorId, clinicId, clinicId],
  );
  return rows.map((row) => ({
    id: row.id,
    kind: row.kind,
    start: new Date(row.starts_at),
    end: row.ends_at ? new Date(row.ends_at) : null,
    type: row.kind === "surgery" ? "surgery" : row.doctor_id === null ? "clinic_closure" : "doctor_leave",
    clinicId: row.clinic_id,
    clinicName: row.clinic_name,
    reason: row.reason,
  }));
}

export function blackoutClash(blackout: ScopedBlackout): ScheduleClash {
  return {
    type: blackout.type,
    unavailabilityId: blackout.id,
    kind: blackout.kind as UnavailabilityKind,
    clinicId: blackout.clinicId,
    clinicName: blackout.clinicName,
    start: blackout.start.toISOString(),
    end: blackout.end?.toISOString() ?? null,
    reason: blackout.reason,
  };
}

export const scheduleConflict = (conflicts: ScheduleClash[]) =>
  conflict("SCHEDULE_CONFLICT", `The new slots would overlap ${conflicts.length} existing slot(s) of this doctor`, {
    conflicts,
  });

/**
 * After the exclusion constraint refused an insert (a concurrent writer got there first), name the
 * committed slot(s) it clashed with: read outside the rolled-back transaction.
 */
export async function slotConflictError(em: EntityManager, doctorId: string, attempted: Interval[]): Promise<DomainError> {
  const conflicts = await findSlotClashes(em.fork() as EntityManager, doctorId, attempted);
  const first = conflicts[0];
  return first
    ? conflict("SLOT_CONFLICT", `Overlaps slot ${first.slotId} at ${first.clinicName ?? first.clinicId}`, { conflicts })
    : conflict("SLOT_CONFLICT", { conflicts });
}
