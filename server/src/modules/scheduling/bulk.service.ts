/**
 * Bulk changes to a doctor's free slots at one clinic over a range: resize (re-lay each contiguous
 * run of free slots back-to-back at a new length), delete, or block. One transaction; the same plan
 * is computed for a dry run, which writes nothing (and has no changes to publish).
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import { localDateOf, type BulkSlotsRequest, type BulkSlotsResult, type OperationSlot } from "@clinic/shared";
import { recordAudit, type AuditActor } from "../../platform/audit";
import { SLOT_COLUMNS, freeSlotSql, type SlotChange, type SlotRow } from "./slot.store";
import { byStartThenId, deletedRowChange, entityChange, recorded, rowChange, type WithSlotChanges } from "./slot-events";
import { Slot } from "./slot.entity";
import { isOverlapViolation, loadClinic, overlapConflict, slotView } from "./slot-rows";
import { lockUnavailabilityShared, SYSTEM_TAG_PREFIX } from "./unavailability.service";

interface NewSlot {
  start: Date;
  end: Date;
  from: SlotRow;
}

const byStart = (a: OperationSlot, b: OperationSlot) => a.start.localeCompare(b.start);

/**
 * Re-lays free slots: per local day, maximal runs of back-to-back free slots are the windows; each
 * window is filled with `minutes`-long slots from its start (a remainder shorter than one slot stays
 * empty). Slots whose interval is unchanged are kept as they are.
 */
export function planResize(free: SlotRow[], minutes: number, zone: string): { keep: SlotRow[]; remove: SlotRow[]; create: NewSlot[] } {
  const step = minutes * 60_000;
  const days = new Map<string, SlotRow[]>();
  for (const row of [...free].sort((a, b) => +new Date(a.starts_at) - +new Date(b.starts_at))) {
    const day = localDateOf(new Date(row.starts_at), zone);
    days.set(day, [...(days.get(day) ?? []), row]);
  }
  const keep: SlotRow[] = [];
  const remove: SlotRow[] = [];
  const create: NewSlot[] = [];
  for (const rows of days.values()) {
    const runs: SlotRow[][] = [];
    for (const row of rows) {
      const run = runs.at(-1);
      if (run && +new Date(run.at(-1)!.ends_at) === +new Date(row.starts_at)) run.push(row);
      else runs.push([row]);
    }
    for (const run of runs) {
      const windowEnd = +new Date(run.at(-1)!.ends_at);
      const wanted: { start: number; end: number }[] = [];
      for (let t = +new Date(run[0]!.starts_at); t + step <= windowEnd; t += step) wanted.push({ start: t, end: t + step });
      const same = (r: SlotRow, w: { start: number; end: number }) => +new Date(r.starts_at) === w.start && +new Date(r.ends_at) === w.end;
      for (const row of run) (wanted.some((w) => same(row, w)) ? keep : remove).push(row);
      for (const w of wanted) {
        if (run.some((r) => same(r, w))) continue;
        // The new slot takes its service, kind, tags and note from the old slot its start falls in.
        const from = run.find((r) => +new Date(r.starts_at) <= w.start && w.start < +new Date(r.ends_at)) ?? run[0]!;
        create.push({ start: new Date(w.start), end: new Date(w.end), from });
      }
    }
  }
  return { keep, remove, create };
}

export function bulkSlots(
  em: EntityManager,
  actor: AuditActor,
  doctorId: string,
  input: BulkSlotsRequest,
): Promise<WithSlotChanges<BulkSlotsResult>> {
  return em
    .transactional(async (tx) => {
      const clinic = await loadClinic(tx, input.clinicId);
      if (!input.dryRun) await lockUnavailabilityShared(tx);
      const where = [`doctor_id = ?`, `clinic_id = ?`, `starts_at >= ?`, `starts_at < ?`, `starts_at > now()`, `status <> 'expired'`];
      const params: unknown[] = [doctorId, input.clinicId, new Date(input.from), new Date(input.to)];
      if (input.filter.serviceId) {
        where.push(`service_id = ?`);
        params.push(input.filter.serviceId);
      }
      if (input.filter.kind) {
        where.push(`kind = ?`);
        params.push(input.filter.kind);
      }
      const rows = await tx.execute<(SlotRow & { free: boolean })[]>(
        `select ${SLOT_COLUMNS}, ${freeSlotSql("slot")} as free
         from slot where ${where.join(" and ")} order by id${input.dryRun ? "" : " for update"}`,
        params,
      );
      const free = rows.filter((r) => r.free);
      const changed: BulkSlotsResult["changed"] = {
        created: [],
        deleted: [],
        blocked: [],
        unchangedBecauseTaken: rows.filter((r) => !r.free).map(slotView).sort(byStart),
      };
      const ids = (list: SlotRow[]) => `{${list.map((r) => r.id).join(",")}}`;
      // What was really written (`returning`), in publication order; stays empty for a dry run.
      const changes: SlotChange[] = [];
      const laid: Slot[] = [];
      const remove = async (list: SlotRow[], cause: "removed" | "deleted") => {
        const gone = await tx.execute<SlotRow[]>(`delete from slot where id = any(?::uuid[]) returning ${SLOT_COLUMNS}`, [ids(list)]);
        changes.push(...gone.map((row) => deletedRowChange(row, cause)).sort(byStartThenId));
      };

      if (input.action === "delete") {
        changed.deleted = free.map(slotView).sort(byStart);
        if (!input.dryRun && free.length) await remove(free, "deleted");
      } else if (input.action === "block") {
        const reason = input.reason ?? "";
        if (input.dryRun) changed.blocked = free.map((r) => slotView({ ...r, status: "blocked", version: r.version + 1 })).sort(byStart);
        else if (free.length) {
          const updated = await tx.execute<SlotRow[]>(
            `update slot set status = 'blocked', hold_expires_at = null, version = version + 1, updated_at = now(),
               note = case when note is null or note = '' then ? else note || E'\\n' || ? end
             where id = any(?::uuid[]) returning ${SLOT_COLUMNS}`,
            [reason, reason, ids(free)],
          );
          changed.blocked = updated.map(slotView).sort(byStart);
          changes.push(...updated.map((row) => rowChange(row, "blocked")).sort(byStartThenId));
        }
      } else {
        const plan = planResize(free, input.newMinutes ?? 15, clinic.timeZone);
        changed.deleted = plan.remove.map(slotView).sort(byStart);
        // Old slots first, then the new ones laid over their time (as written).
        if (!input.dryRun && plan.remove.length) await remove(plan.remove, "removed");
        for (const n of plan.create) {
          const view: OperationSlot = {
            id: null,
            doctorId,
            clinicId: input.clinicId,
            start: n.start.toISOString(),
            end: n.end.toISOString(),
            status: "available",
            kind: n.from.kind,
            serviceId: n.from.service_id,
            version: 1,
          };
          if (!input.dryRun) {
            const slot = tx.create(Slot, {
              doctor: doctorId,
              clinic: input.clinicId,
              service: n.from.service_id,
              startsAt: n.start,
              endsAt: n.end,
              status: "available",
              kind: n.from.kind,
              tags: n.from.tags.filter((t) => !t.startsWith(SYSTEM_TAG_PREFIX)),
              note: n.from.note,
              version: 1,
            });
            view.id = slot.id;
            laid.push(slot);
          }
          changed.created.push(view);
        }
        changed.created.sort(byStart);
      }

      if (!input.dryRun) {
        recordAudit(tx, actor, {
          action: `scheduling.slots.bulk-${input.action}`,
          entityType: "Doctor",
          entityId: doctorId,
          clinicId: input.clinicId,
          after: {
            from: input.from,
            to: input.to,
            filter: input.filter,
            ...(input.newMinutes ? { newMinutes: input.newMinutes } : {}),
            ...(input.reason ? { reason: input.reason } : {}),
            createdSlotIds: changed.created.map((s) => s.id),
            deletedSlotIds: changed.deleted.map((s) => s.id),
            blockedSlotIds: changed.blocked.map((s) => s.id),
          },
        });
        await tx.flush();
        changes.push(...laid.map((slot) => entityChange(slot, "created")).sort(byStartThenId));
      }
      return recorded(tx, { reply: { dryRun: input.dryRun, changed }, changes });
    })
    .catch((error: unknown) => {
      throw isOverlapViolation(error) ? overlapConflict() : error;
    });
}
