/**
 * Time off and clinic closures. Creating one blocks the free slots it covers (and, with autoCancel,
 * releases the held/booked ones: booking cancels their appointments in the same transaction, through
 * `Ports.leaveCancellations`, and the patients are told by the alerts module); deleting one re-opens the
 * future slots it blocked unless another unavailability still covers them. Each slot it blocks
 * carries the marker tag `unavailability:<id>` so deletion knows exactly which slots are its own.
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import type {
  CreateClosureRequest,
  CreateUnavailabilityRequest,
  OperationSlot,
  UnavailabilityKind,
  UnavailabilityResult,
  UnavailabilityView,
} from "@clinic/shared";
import { notFound } from "../../platform/errors";
import { recordAudit, type AuditActor } from "../../platform/audit";
import type { LeaveCancellations } from "./scheduling.ports";
import { viewChanges } from "./slot-events";
import { slotView } from "./slot-rows";
import { SLOT_COLUMNS, freeSlotSql, recordSlotChanges, slotColumns, type SlotRow } from "./slot.store";
import { Unavailability } from "./unavailability.entity";

export const unavailabilityTag = (id: string) => `unavailability:${id}`;
/** Tags with this prefix are system markers, not staff tags (left out of exports). */
export const SYSTEM_TAG_PREFIX = "unavailability:";

export function unavailabilityView(u: Unavailability): UnavailabilityView {
  return {
    id: u.id,
    doctorId: u.doctor?.id ?? null,
    clinicId: u.clinic?.id ?? null,
    kind: u.kind,
    startsAt: u.startsAt.toISOString(),
    endsAt: u.endsAt?.toISOString() ?? null,
    reason: u.reason ?? null,
    createdBy: u.createdBy?.id ?? null,
    createdAt: (u.createdAt ?? new Date()).toISOString(),
  };
}

/**
 * Unavailability changes are rare and each reads what the others wrote (coverage when re-opening),
 * so they are serialised cluster-wide with one transaction-scoped advisory lock, taken exclusively.
 * Writers that add or re-lay slots (bulk, import; the rule engine should too) take it shared, so
 * they never interleave with a time-off change and leave a new free slot inside fresh leave.
 */
const UNAVAILABILITY_LOCK = `hashtext('scheduling.unavailability')`;
const lockUnavailability = (tx: EntityManager) => tx.execute(`select pg_advisory_xact_lock(${UNAVAILABILITY_LOCK})`);
export const lockUnavailabilityShared = (tx: EntityManager) => tx.execute(`select pg_advisory_xact_lock_shared(${UNAVAILABILITY_LOCK})`);

/** The unavailability (if any) covering [start, end) for a doctor at a clinic. */
export async function coveringUnavailability(
  tx: EntityManager,
  doctorId: string,
  clinicId: string,
  start: Date,
  end: Date,
): Promise<{ id: string; kind: UnavailabilityKind; starts_at: Date; ends_at: Date | null }[]> {
  return tx.execute(
    `select id, kind, starts_at, ends_at from unavailability
      where starts_at < ? and (ends_at is null or ends_at > ?)
        and ((doctor_id = ? and (clinic_id is null or clinic_id = ?)) or (doctor_id is null and clinic_id = ?))
      order by starts_at`,
    [end, start, doctorId, clinicId, clinicId],
  );
}

const idArray = (ids: string[]) => `{${ids.join(",")}}`;

interface Scope {
  doctorId: string | null;
  clinicId: string | null;
}

interface Apply {
  scope: Scope;
  kind: UnavailabilityKind;
  startsAt: Date;
  endsAt: Date | null;
  reason: string;
  autoCancel: boolean;
  dryRun: boolean;
  createdBy: string | null;
}

async function applyUnavailability(tx: EntityManager, actor: AuditActor, input: Apply, leave: LeaveCancellations): Promise<UnavailabilityResult> {
  const where: string[] = [`ends_at > now()`, `ends_at > ?`, `status in ('available', 'held', 'booked')`];
  const params: unknown[] = [input.startsAt];
  if (input.endsAt) {
    where.push(`starts_at < ?`);
    params.push(input.endsAt);
  }
  if (input.scope.doctorId) {
    where.push(`doctor_id = ?`);
    params.push(input.scope.doctorId);
  }
  if (input.scope.clinicId) {
    where.push(`clinic_id = ?`);
    params.push(input.scope.clinicId);
  }
  const freeExpr = `${freeSlotSql("slot")} as free`;
  const lock = input.dryRun ? "" : " for update";
  const rows = await tx.execute<(SlotRow & { free: boolean })[]>(
    `select ${SLOT_COLUMNS}, ${freeExpr} from slot where ${where.join(" and ")} order by id${lock}`,
    params,
  );
  const free = rows.filter((r) => r.free);
  const taken = rows.filter((r) => !r.free);
  const byStart = (a: OperationSlot, b: OperationSlot) => a.start.localeCompare(b.start) || a.doctorId.localeCompare(b.doctorId);
  const predicted = (list: SlotRow[]) => list.map((r) => slotView({ ...r, status: "blocked", version: r.version + 1 })).sort(byStart);
  const affected = taken.map(slotView).sort(byStart);

  if (input.dryRun) {
    return { dryRun: true, unavailability: null, blocked: predicted(free), affected, cancelled: input.autoCancel ? predicted(taken) : [], cancelledAppointmentIds: [] };
  }

  const unavailability = tx.create(Unavailability, {
    doctor: input.scope.doctorId,
    clinic: input.scope.clinicId,
    kind: input.kind,
    startsAt: input.startsAt,
    endsAt: input.endsAt,
    reason: input.reason,
    createdBy: input.createdBy,
  });
  const tag = unavailabilityTag(unavailability.id);

  const blocked = free.length
    ? await tx.execute<SlotRow[]>(
        `update slot set status = 'blocked', hold_expires_at = null, version = version + 1, updated_at = now(),
           tags = array_append(tags, ?) where id = any(?::uuid[]) returning ${SLOT_COLUMNS}`,
        [tag, idArray(free.map((r) => r.id))],
      )
    : [];
  let cancelled: SlotRow[] = [];
  let cancelledAppointmentIds: string[] = [];
  if (input.autoCancel && taken.length) {
    const note = `Released by ${input.kind.replaceAll("_", " ")}: ${input.reason}`;
    cancelled = await tx.execute<SlotRow[]>(
      `update slot set status = 'blocked', hold_expires_at = null, version = version + 1, updated_at = now(),
         tags = array_append(tags, ?), note = case when note is null or note = '' then ? else note || E'\\n' || ? end
       where id = any(?::uuid[]) returning ${SLOT_COLUMNS}`,
      [tag, note, note, idArray(taken.map((r) => r.id))],
    );
    // The slots' news first, then the booking module cancels the appointments on them (their patients are told after commit).
    await recordSlotChanges(tx, viewChanges([...blocked.map(slotView).sort(byStart), ...cancelled.map(slotView).sort(byStart)], "blocked"));
    ({ cancelledAppointmentIds } = await leave.cancelOnReleasedSlots(tx, actor, { slotIds: cancelled.map((slot) => slot.id), reason: input.reason, kind: input.kind }));
    for (const slot of cancelled) {
      recordAudit(tx, actor, {
        action: "scheduling.slot.cancel-by-leave",
        entityType: "Slot",
        entityId: slot.id,
        clinicId: slot.clinic_id,
        before: slotView(taken.find((t) => t.id === slot.id)!),
        after: { ...slotView(slot), unavailabilityId: unavailability.id, reason: input.reason },
      });
    }
  }
  const view = unavailabilityView(unavailability);
  recordAudit(tx, actor, {
    action: input.scope.doctorId ? "scheduling.unavailability.create" : "scheduling.closure.create",
    entityType: "Unavailability",
    entityId: unavailability.id,
    clinicId: input.scope.clinicId,
    after: { ...view, blockedSlotIds: blocked.map((s) => s.id), cancelledSlotIds: cancelled.map((s) => s.id) },
  });
  await tx.flush();
  const result = {
    dryRun: false,
    unavailability: view,
    blocked: blocked.map(slotView).sort(byStart),
    affected,
    cancelled: cancelled.map(slotView).sort(byStart),
    cancelledAppointmentIds,
  };
  if (cancelled.length === 0) await recordSlotChanges(tx, viewChanges(result.blocked, "blocked"));
  return result;
}

export function createDoctorUnavailability(
  em: EntityManager,
  actor: AuditActor,
  doctorId: string,
  input: CreateUnavailabilityRequest,
  leave: LeaveCancellations,
): Promise<UnavailabilityResult> {
  return em.transactional(async (tx) => {
    if (!input.dryRun) await lockUnavailability(tx);
    return applyUnavailability(tx, actor, {
      scope: { doctorId, clinicId: input.clinicId ?? null },
      kind: input.kind,
      startsAt: new Date(input.startsAt),
      endsAt: input.endsAt ? new Date(input.endsAt) : null,
      reason: input.reason,
      autoCancel: input.autoCancel,
      dryRun: input.dryRun,
      createdBy: actor.userId,
    }, leave);
  });
}

export function createClosure(em: EntityManager, actor: AuditActor, clinicId: string, input: CreateClosureRequest, leave: LeaveCancellations): Promise<UnavailabilityResult> {
  return em.transactional(async (tx) => {
    if (!input.dryRun) await lockUnavailability(tx);
    return applyUnavailability(tx, actor, {
      scope: { doctorId: null, clinicId },
      kind: input.kind,
      startsAt: new Date(input.startsAt),
      endsAt: new Date(input.endsAt),
      reason: input.reason,
      autoCancel: input.autoCancel,
      dryRun: input.dryRun,
      createdBy: actor.userId,
    }, leave);
  });
}

function rangeFilter(from?: string, to?: string) {
  return {
    ...(to ? { startsAt: { $lt: new Date(to) } } : {}),
    ...(from ? { $or: [{ endsAt: null }, { endsAt: { $gt: new Date(from) } }] } : {}),
  };
}

/** A doctor's own time off plus the closures of the clinics they work at, overlapping [from, to). */
export async function listDoctorUnavailability(
  em: EntityManager,
  doctorId: string,
  clinicIds: string[],
  range: { from?: string; to?: string },
): Promise<UnavailabilityView[]> {
  const items = await em.find(
    Unavailability,
    { $and: [{ $or: [{ doctor: doctorId }, { doctor: null, clinic: { $in: clinicIds } }] }, rangeFilter(range.from, range.to)] },
    { orderBy: { startsAt: "asc", id: "asc" } },
  );
  return items.map(unavailabilityView);
}

export async function listClosures(em: EntityManager, clinicId: string, range: { from?: string; to?: string }): Promise<UnavailabilityView[]> {
  const items = await em.find(
    Unavailability,
    { $and: [{ doctor: null, clinic: clinicId }, rangeFilter(range.from, range.to)] },
    { orderBy: { startsAt: "asc", id: "asc" } },
  );
  return items.map(unavailabilityView);
}

export async function findUnavailability(em: EntityManager, id: string): Promise<UnavailabilityView> {
  const u = await em.findOne(Unavailability, { id });
  if (!u) throw notFound("Unavailability");
  return unavailabilityView(u);
}

/**
 * Deletes one unavailability. The slots it blocked that start in the future become available again,
 * unless another unavailability still covers them: those pass to it (its marker tag replaces this
 * one's) so deleting that one later re-opens them. Past slots stay as they were.
 */
export function deleteUnavailability(
  em: EntityManager,
  actor: AuditActor,
  id: string,
): Promise<{ deleted: UnavailabilityView; reopened: OperationSlot[] }> {
  return em.transactional(async (tx) => {
    await lockUnavailability(tx);
    const u = await tx.findOne(Unavailability, { id });
    if (!u) throw notFound("Unavailability");
    const before = unavailabilityView(u);
    const tag = unavailabilityTag(id);
    const rows = await tx.execute<(SlotRow & { cover: string | null })[]>(
      `select ${slotColumns("s")},
         (select u.id from unavailability u
           where u.id <> ? and u.starts_at < s.ends_at and (u.ends_at is null or u.ends_at > s.starts_at)
             and ((u.doctor_id = s.doctor_id and (u.clinic_id is null or u.clinic_id = s.clinic_id))
               or (u.doctor_id is null and u.clinic_id = s.clinic_id))
           order by u.created_at, u.id limit 1) as cover
       from slot s where s.tags @> array[?]::text[] and s.status = 'blocked' and s.starts_at > now()
       order by s.id for update of s`,
      [id, tag],
    );
    const reopen = rows.filter((r) => !r.cover);
    const reopened = reopen.length
      ? await tx.execute<SlotRow[]>(
          `update slot set status = 'available', version = version + 1, updated_at = now(), tags = array_remove(tags, ?)
           where id = any(?::uuid[]) returning ${SLOT_COLUMNS}`,
          [tag, idArray(reopen.map((r) => r.id))],
        )
      : [];
    for (const row of rows.filter((r) => r.cover)) {
      await tx.execute(
        `update slot set version = version + 1, updated_at = now(), tags = array_replace(tags, ?, ?) where id = ?`,
        [tag, unavailabilityTag(row.cover!), row.id],
      );
    }
    tx.remove(u);
    recordAudit(tx, actor, {
      action: u.doctor ? "scheduling.unavailability.delete" : "scheduling.closure.delete",
      entityType: "Unavailability",
      entityId: id,
      clinicId: before.clinicId,
      before,
      after: { reopenedSlotIds: reopened.map((s) => s.id), handedOver: rows.filter((r) => r.cover).map((r) => ({ slotId: r.id, to: r.cover })) },
    });
    await tx.flush();
    const result = { deleted: before, reopened: reopened.map(slotView).sort((a, b) => a.start.localeCompare(b.start)) };
    await recordSlotChanges(tx, viewChanges(result.reopened, "released"));
    return result;
  });
}
