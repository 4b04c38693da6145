/**
 * Turns rules into slot rows from now up to the horizon. Only future FREE (`available`) slots a
 * rule owns are ever deleted or created; held, booked and blocked ones are never touched, and those
 * the rule no longer produces come back as `conflicts` for staff to resolve. Unchanged intervals
 * keep their row (id and version). Idempotent: running it twice changes nothing the second time.
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import type { MaterialisationReport, ScheduleClash, SlotConflict, SlotsAnnotated } from "@clinic/shared";
import type { SlotChange } from "./slot.store";
import { Clinic } from "../directory";
import { AvailabilityRule } from "./availability-rule.entity";
import { findSlotClashes, isExclusionViolation, loadBlackouts, scheduleConflict } from "./conflicts.service";
import { expandRule, ruleShape, type Interval } from "./rule-expansion";
import { byStartThenId, deletedRowChange, entityChange, recorded, rowChange } from "./slot-events";
import { Slot } from "./slot.entity";
import { SLOT_COLUMNS, type SlotRow } from "./slot.store";

export interface MaterialiseOptions {
  now?: Date;
  horizonDays: number;
  /** `refuse`: a clash with another slot throws 409 SCHEDULE_CONFLICT; `skip`: leave those pieces out. */
  onClash: "refuse" | "skip";
  /** Filled with the intervals about to be inserted, so a constraint failure can be explained. */
  attempted?: Interval[];
}

/** What materialising did: the reply's report, and each changed slot's new state to publish after commit. */
export interface Materialised {
  report: MaterialisationReport;
  /** Removed (`status: "deleted"`) and expired slots first, then updated, then created; each by start. */
  changes: SlotChange[];
  /** Kept slots that took only the rule's new note or tags: one summary for staff, no per-slot change. */
  annotated: SlotsAnnotated | null;
}

export const emptyReport = (): MaterialisationReport => ({ created: 0, kept: 0, removed: 0, conflicts: [] });

export function mergeReports(reports: MaterialisationReport[]): MaterialisationReport {
  return reports.reduce(
    (sum, r) => ({
      created: sum.created + r.created,
      kept: sum.kept + r.kept,
      removed: sum.removed + r.removed,
      conflicts: [...sum.conflicts, ...r.conflicts],
    }),
    emptyReport(),
  );
}


const key = (start: Date, end: Date) => `${start.getTime()}-${end.getTime()}`;
const sameList = (a: string[], b: string[]) => a.length === b.length && a.every((v, i) => v === b[i]);
/** A PostgreSQL array literal of ids, for `any(?::uuid[])`. */
const idArray = (ids: string[]) => `{${ids.join(",")}}`;
/** SQL: a text[] from a JSON array parameter (any tag text survives, where an array literal would need quoting). */
const TAGS_FROM_JSON = "array(select tag from jsonb_array_elements_text(?::jsonb) with ordinality as t(tag, n) order by n)";

function conflictOf(slot: SlotRow, reason: SlotConflict["reason"]): SlotConflict {
  return {
    slotId: slot.id,
    clinicId: slot.clinic_id,
    start: new Date(slot.starts_at).toISOString(),
    end: new Date(slot.ends_at).toISOString(),
    status: slot.status,
    reason,
  };
}

/**
 * Brings the future slots of `rule` in line with it, inside the caller's transaction (`tx`).
 * An inactive rule is treated as producing nothing. The changes carry each row's state as written
 * (deleted rows: `status: "deleted"`, last version + 1), for the caller to publish after commit.
 * Rows are read and changed in SQL, a statement per kind of change (a rule lays thousands of slots).
 */
export async function materialiseRule(tx: EntityManager, rule: AvailabilityRule, options: MaterialiseOptions): Promise<Materialised> {
  const now = options.now ?? new Date();
  const to = new Date(now.getTime() + options.horizonDays * 86_400_000);
  const clinic = await tx.findOneOrFail(Clinic, rule.clinic.id);
  const blackouts = rule.active ? await loadBlackouts(tx, rule.doctor.id, clinic.id, now, to) : [];
  const desired = rule.active ? expandRule(ruleShape(rule), { from: now, to }, clinic.timeZone, blackouts).slots : [];
  const existing = await tx.getConnection().execute<SlotRow[]>(
    `select ${SLOT_COLUMNS} from slot where rule_id = ? and starts_at >= ? and status <> 'expired' order by starts_at`,
    [rule.id, now],
  );

  const wanted = new Map(desired.map((interval) => [key(interval.start, interval.end), interval]));
  const report = emptyReport();
  const remove: string[] = [];
  const republish = new Map<string, string>();
  const annotate: string[] = [];
  const gone: SlotChange[] = [];
  const serviceId = rule.service?.id ?? null;
  const note = rule.note ?? null;
  for (const slot of existing) {
    const k = key(new Date(slot.starts_at), new Date(slot.ends_at));
    const matches = wanted.has(k);
    if (matches) wanted.delete(k);
    if (slot.status !== "available") {
      if (!matches) report.conflicts.push(conflictOf(slot, rule.active ? "outside_rule" : "rule_deleted"));
      continue;
    }
    if (!matches) {
      remove.push(slot.id);
      continue;
    }
    report.kept++;
    // Same interval: keep the row and carry over what the rule says about it. Kind and service are
    // its public view (the public search shows them): a new version and a `slot.updated` for
    // everyone. Note and tags are staff annotations: the same version and one summary for staff.
    if (slot.kind !== rule.kind || slot.service_id !== serviceId) republish.set(slot.id, slot.kind);
    else if (!sameList(slot.tags, rule.tags) || slot.note !== note) annotate.push(slot.id);
  }
  // `returning`, and only while still free: the events carry what was really written (a row held meanwhile is left alone).
  const updated = republish.size
    ? await tx.getConnection().execute<SlotRow[]>(
        `update slot set kind = ?, service_id = ?, tags = ${TAGS_FROM_JSON}, note = ?, version = version + 1, updated_at = now()
          where id = any(?::uuid[]) and status = 'available' returning ${SLOT_COLUMNS}`,
        [rule.kind, serviceId, JSON.stringify(rule.tags), note, idArray([...republish.keys()])],
      )
    : [];
  const annotated = annotate.length ? await annotateSlots(tx, rule, annotate) : null;
  if (remove.length) {
    // Deleted before the inserts so a regenerated grid may reuse the freed time. A slot that an
    // appointment row references (cancelled/expired history; the FK restricts deletes) is expired
    // instead: expired slots are outside the no-overlap constraint, so the freed time is reusable too.
    const referenced = await tx.getConnection().execute<{ slot_id: string }[]>(
      `select distinct slot_id from appointment where slot_id = any(?::uuid[])`,
      [idArray(remove)],
    );
    const keep = new Set(referenced.map((row) => row.slot_id));
    if (keep.size) {
      const expired = await tx.getConnection().execute<SlotRow[]>(
        `update slot set status = 'expired', version = version + 1, updated_at = now() where id = any(?::uuid[]) and status = 'available'
         returning ${SLOT_COLUMNS}`,
        [idArray([...keep])],
      );
      gone.push(...expired.map((row) => rowChange(row, "expired")));
    }
    const deletable = remove.filter((id) => !keep.has(id));
    if (deletable.length) {
      const deleted = await tx.getConnection().execute<SlotRow[]>(
        `delete from slot where id = any(?::uuid[]) and status = 'available' returning ${SLOT_COLUMNS}`,
        [idArray(deletable)],
      );
      gone.push(...deleted.map((row) => deletedRowChange(row, "removed")));
    }
    report.removed = remove.length;
  }

  let toCreate = [...wanted.values()];
  if (toCreate.length) {
    const clashes = await findSlotClashes(tx, rule.doctor.id, toCreate, { excludeSlotIds: remove });
    if (clashes.length) {
      if (options.onClash === "refuse") throw scheduleConflict(clashes);
      toCreate = toCreate.filter((i) => !clashes.some((c) => overlapsClash(i, c)));
    }
  }
  options.attempted?.push(...toCreate);
  const created = toCreate.map((interval) =>
    tx.create(Slot, {
      doctor: rule.doctor.id,
      clinic: rule.clinic.id,
      rule: rule.id,
      service: serviceId,
      startsAt: interval.start,
      endsAt: interval.end,
      status: "available",
      kind: rule.kind,
      tags: [...rule.tags],
      note: rule.note ?? null,
      version: 1,
    }),
  );
  report.created = toCreate.length;
  await tx.flush();
  const changes = [
    ...gone.sort(byStartThenId),
    ...updated
      .map((row) => ({ ...rowChange(row, "updated"), ...(republish.get(row.id) !== row.kind ? { previousKind: republish.get(row.id) } : {}) }))
      .sort(byStartThenId),
    ...created.map((slot) => entityChange(slot, "created")).sort(byStartThenId),
  ];
  return { report, changes, annotated };
}

/**
 * Writes the rule's note and tags onto the free slots it keeps in one statement, without a new
 * version: the version fences a slot's public view, which this does not change, so a booking racing
 * the edit is not turned away. A slot taken meanwhile keeps its own (the `status` condition).
 */
async function annotateSlots(tx: EntityManager, rule: AvailabilityRule, slotIds: string[]): Promise<SlotsAnnotated | null> {
  const [written] = await tx.getConnection().execute<Written[]>(
    `with annotated as (
       update slot set tags = ${TAGS_FROM_JSON}, note = ?, updated_at = now() where id = any(?::uuid[]) and status = 'available' returning starts_at, ends_at)
     select count(*)::int as count, min(starts_at) as "from", max(ends_at) as "to" from annotated`,
    [JSON.stringify(rule.tags), rule.note ?? null, idArray(slotIds)],
  );
  return annotationOf(rule, written);
}

interface Written {
  count: number;
  from: Date | null;
  to: Date | null;
}

/** The `slots.annotated` summary of what an annotation wrote; none when it wrote nothing. */
function annotationOf(rule: AvailabilityRule, written: Written | undefined): SlotsAnnotated | null {
  if (!written?.count || !written.from || !written.to) return null;
  return {
    ruleId: rule.id,
    doctorId: rule.doctor.id,
    clinicId: rule.clinic.id,
    from: new Date(written.from).toISOString(),
    to: new Date(written.to).toISOString(),
    count: written.count,
    tags: [...rule.tags],
    note: rule.note ?? null,
  };
}

const overlapsClash = (i: Interval, c: ScheduleClash) => i.start < new Date(c.end ?? 8.64e15) && new Date(c.start) < i.end;

/**
 * The nightly job: every active rule (or `ruleIds`) materialised up to the horizon, each rule in its
 * own transaction, clashing pieces skipped. Safe to run any number of times.
 */
export async function materialiseUpToHorizon(
  em: EntityManager,
  ruleIds?: string[],
  options: { now?: Date; horizonDays?: number } = {},
): Promise<{ rules: number; report: MaterialisationReport; failed: string[]; changes: SlotChange[] }> {
  const base = em.fork() as EntityManager;
  const ids = (await base.find(AvailabilityRule, ruleIds ? { id: { $in: ruleIds } } : { active: true }, { fields: ["id"] })).map((r) => r.id);
  const reports: MaterialisationReport[] = [];
  const changes: SlotChange[] = [];
  const failed: string[] = [];
  for (const id of ids) {
    try {
      const done = await (em.fork() as EntityManager).transactional(async (tx) => {
        const rule = await tx.findOneOrFail(AvailabilityRule, id);
        return recorded(tx, await materialiseRule(tx, rule, { now: options.now, horizonDays: options.horizonDays ?? 90, onClash: "skip" }));
      });
      reports.push(done.report);
      changes.push(...done.changes);
    } catch (error) {
      // A concurrent writer took the time between our check and insert: next run picks it up.
      if (!isExclusionViolation(error)) throw error;
      failed.push(id);
    }
  }
  // `changes`: committed and recorded as domain events (one transaction per rule).
  return { rules: ids.length, report: mergeReports(reports), failed, changes };
}
