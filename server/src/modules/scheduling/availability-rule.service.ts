/**
 * Availability rules: create, change, delete and preview, each write in one transaction with its
 * materialisation and audit event. Checks: the doctor works at the clinic, locums get single-day
 * rules only, contracted weekly hours hold in every ISO week of the horizon, and new slots do not
 * overlap the doctor's other slots at any clinic (the exclusion constraint is the last word).
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import {
  PREVIEW_SLOT_SAMPLE,
  addDays,
  isoWeekday,
  ruleIssues,
  type AvailabilityPreview,
  type EmploymentType,
  type AvailabilityRuleView,
  type CreateAvailabilityRuleRequest,
  type MaterialisationReport,
  type PreviewAvailabilityRuleRequest,
  type UpdateAvailabilityRuleRequest,
} from "@clinic/shared";
import { type DomainError, invalidFields, notFound, unprocessable } from "../../platform/errors";
import type { SlotChange } from "./slot.store";
import { recordAudit, type AuditActor } from "../../platform/audit";
import { recordEvents } from "../../platform/outbox";
import { prepared, runPrepared } from "../../platform/prepared";
import { Clinic, Doctor, ClinicService } from "../directory";
import { AvailabilityRule } from "./availability-rule.entity";
import { blackoutClash, findSlotClashes, isExclusionViolation, loadBlackouts, slotConflictError, sql } from "./conflicts.service";
import { emptyReport, materialiseRule } from "./materialise.service";
import { expandRule, ruleShape, weeklyWorkMinutes, type Interval, type RuleShape } from "./rule-expansion";
import { Slot } from "./slot.entity";
import { recorded, type WithSlotChanges } from "./slot-events";
import { ruleView } from "./slot.views";

export interface SchedulingSettings {
  horizonDays: number;
  now?: Date;
}

export async function doctorWorksAt(em: EntityManager, doctorId: string, clinicId: string): Promise<boolean> {
  const rows = await sql(em, `select 1 from doctor_clinic where doctor_id = ? and clinic_id = ?`, [doctorId, clinicId]);
  return rows.length > 0;
}

export async function requireDoctorAtClinic(em: EntityManager, doctorId: string, clinicId: string): Promise<Doctor> {
  const doctor = await em.findOne(Doctor, doctorId);
  if (!doctor) throw notFound("Doctor");
  if (!(await em.findOne(Clinic, clinicId))) throw notFound("Clinic");
  if (!(await doctorWorksAt(em, doctorId, clinicId))) {
    throw unprocessable("DOCTOR_NOT_AT_CLINIC", "The doctor is not associated with this clinic", { doctorId, clinicId });
  }
  return doctor;
}

async function resolveService(em: EntityManager, clinicId: string, serviceId: string | null | undefined): Promise<ClinicService | null> {
  if (!serviceId) return null;
  const service = await em.findOne(ClinicService, { id: serviceId, clinic: clinicId });
  if (!service) throw unprocessable("UNKNOWN_SERVICE", { serviceId });
  return service;
}

const today = (settings: SchedulingSettings) => (settings.now ?? new Date()).toISOString().slice(0, 10);

/** The doctor's contract, read under a row lock: rule writes and contract changes for one doctor take turns. */
export async function lockedContract(tx: EntityManager, doctorId: string): Promise<{ employmentType: EmploymentType; maxHoursPerWeek: number | null }> {
  const [row] = await sql<{ employment_type: EmploymentType; max_hours_per_week: number | null }>(
    tx,
    `select employment_type, max_hours_per_week from doctor where id = ? for update`,
    [doctorId],
  );
  if (!row) throw notFound("Doctor");
  return { employmentType: row.employment_type, maxHoursPerWeek: row.max_hours_per_week };
}

/** The doctor's active rules at every clinic as the engine sees them, without `exceptId` (the rule being replaced). */
export async function activeRuleShapes(em: EntityManager, doctorId: string, exceptId?: string): Promise<(RuleShape & { id: string })[]> {
  const rules = await em.find(AvailabilityRule, { doctor: doctorId, active: true, ...(exceptId ? { id: { $ne: exceptId } } : {}) });
  return rules.map((rule) => ({ ...ruleShape(rule), id: rule.id }));
}

/** Hours worked in each ISO week from this week's Monday to the end of the horizon's week. */
export function weeklyHoursOf(rules: RuleShape[], settings: SchedulingSettings): { week: string; hours: number }[] {
  const first = today(settings);
  const last = addDays(first, settings.horizonDays);
  const minutes = weeklyWorkMinutes(rules, addDays(first, 1 - isoWeekday(first)), addDays(last, 7 - isoWeekday(last)));
  return [...minutes].sort(([a], [b]) => a.localeCompare(b)).map(([week, total]) => ({ week, hours: total / 60 }));
}

export const isSingleDay = (rule: Pick<RuleShape, "validFrom" | "validUntil">) => rule.validUntil !== null && rule.validUntil === rule.validFrom;

/** 422 WEEKLY_HOURS_EXCEEDED for the first week over `maxHoursPerWeek` (none: no cap). */
export function assertWithinCap(weeks: { week: string; hours: number }[], maxHoursPerWeek: number | null): void {
  if (maxHoursPerWeek === null) return;
  const over = weeks.find((week) => week.hours > maxHoursPerWeek);
  if (over) {
    throw unprocessable(
      "WEEKLY_HOURS_EXCEEDED",
      `In the week of ${over.week} these rules give ${over.hours} hours, over the doctor's ${maxHoursPerWeek}`,
      { week: over.week, hours: over.hours, maxHoursPerWeek },
    );
  }
}

/**
 * Locums: single-day rules only. Contracted hours: the doctor's active rules at every clinic, with
 * `candidate` in place of the rule it replaces, may not exceed `maxHoursPerWeek` in any ISO week.
 * The doctor's row is locked first, so a contract change or another rule write cannot slip between
 * this check and the commit.
 */
async function checkDoctorLimits(tx: EntityManager, doctorId: string, candidate: RuleShape & { id?: string; active: boolean }, settings: SchedulingSettings) {
  const contract = await lockedContract(tx, doctorId);
  if (contract.employmentType === "locum" && !isSingleDay(candidate)) {
    throw unprocessable("LOCUM_AD_HOC_ONLY", {
      field: "validUntil",
    });
  }
  if (!contract.maxHoursPerWeek || contract.employmentType === "locum") return;
  const rules = [...(await activeRuleShapes(tx, doctorId, candidate.id)), ...(candidate.active ? [candidate] : [])];
  assertWithinCap(weeklyHoursOf(rules, settings), contract.maxHoursPerWeek);
}

/** One transaction; a lost race on the exclusion constraint becomes 409 SLOT_CONFLICT naming the slot. */
async function scheduleWrite<T>(em: EntityManager, doctorId: string, work: (tx: EntityManager, attempted: Interval[]) => Promise<T>): Promise<T> {
  const attempted: Interval[] = [];
  try {
    return await em.transactional((tx) => work(tx, attempted));
  } catch (error) {
    if (isExclusionViolation(error)) throw await slotConflictError(em, doctorId, attempted);
    throw error;
  }
}

function fieldError(issues: { path: (string | number)[]; message: string }[]): DomainError {
  return invalidFields(issues.map((i) => ({ field: ["body", ...i.path].join("."), message: i.message })));
}

export async function listRules(em: EntityManager, doctorId: string, clinicIds: string[] | null): Promise<AvailabilityRuleView[]> {
  const rules = await em.find(
    AvailabilityRule,
    { doctor: doctorId, ...(clinicIds ? { clinic: { $in: clinicIds } } : {}) },
    { orderBy: { validFrom: "asc", startTime: "asc", id: "asc" } },
  );
  return rules.map(ruleView);
}

export async function findRule(em: EntityManager, ruleId: string): Promise<AvailabilityRule> {
  const rule = await em.findOne(AvailabilityRule, ruleId);
  if (!rule) throw notFound("Availability rule");
  return rule;
}

/** Creates a rule inside `tx` (shared with template application) and materialises it; `changes` to publish after commit. */
export async function createRuleIn(
  tx: EntityManager,
  doctorId: string,
  input: Omit<CreateAvailabilityRuleRequest, "slotMinutes"> & { slotMinutes?: number },
  settings: SchedulingSettings,
  attempted?: Interval[],
): Promise<{ rule: AvailabilityRule; report: MaterialisationReport; changes: SlotChange[] }> {
  const doctor = await requireDoctorAtClinic(tx, doctorId, input.clinicId);
  const service = await resolveService(tx, input.clinicId, input.serviceId);
  const slotMinutes = input.slotMinutes ?? service?.durationMinutes;
  if (!slotMinutes) throw fieldError([{ path: ["slotMinutes"], message: "required unless serviceId is given" }]);
  const issues = ruleIssues({ ...input, slotMinutes });
  if (issues.length) throw fieldError(issues);
  const shape: RuleShape = {
    recurrence: input.recurrence,
    validFrom: input.validFrom,
    validUntil: input.validUntil ?? null,
    startTime: input.startTime,
    endTime: input.endTime,
    breaks: input.breaks,
    slotMinutes,
    bufferMinutes: input.bufferMinutes,
  };
  await checkDoctorLimits(tx, doctor.id, { ...shape, active: true }, settings);
  const rule = tx.create(AvailabilityRule, {
    doctor,
    clinic: input.clinicId,
    service,
    kind: input.kind,
    ...shape,
    tags: input.tags,
    note: input.note ?? null,
    colour: input.colour ?? null,
    active: true,
  });
  await tx.flush();
  const { report, changes } = await materialiseRule(tx, rule, { ...settings, onClash: "refuse", attempted });
  return { rule, report, changes };
}

export async function createRule(
  em: EntityManager,
  actor: AuditActor,
  doctorId: string,
  input: CreateAvailabilityRuleRequest,
  settings: SchedulingSettings,
): Promise<WithSlotChanges<{ rule: AvailabilityRuleView; materialisation: MaterialisationReport }>> {
  return scheduleWrite(em, doctorId, async (tx, attempted) => {
    const { rule, report, changes } = await createRuleIn(tx, doctorId, input, settings, attempted);
    const after = ruleView(rule);
    recordAudit(tx, actor, {
      action: "schedule.rule.create",
      entityType: "AvailabilityRule",
      entityId: rule.id,
      clinicId: input.clinicId,
      after: { ...after, materialisation: { ...report, conflicts: report.conflicts.length } },
    });
    await tx.flush();
    return recorded(tx, { reply: { rule: after, materialisation: report }, changes });
  });
}

export async function updateRule(
  em: EntityManager,
  actor: AuditActor,
  ruleId: string,
  input: UpdateAvailabilityRuleRequest,
  settings: SchedulingSettings,
): Promise<WithSlotChanges<{ rule: AvailabilityRuleView; materialisation: MaterialisationReport }>> {
  const { doctor } = await findRule(em, ruleId);
  return scheduleWrite(em, doctor.id, async (tx, attempted) => {
    const rule = await tx.findOne(AvailabilityRule, ruleId);
    if (!rule) throw notFound("Availability rule");
    const before = ruleView(rule);
    const service = input.serviceId === undefined ? (rule.service ?? null) : await resolveService(tx, rule.clinic.id, input.serviceId);
    const { serviceId: _serviceId, ...rest } = input;
    const merged = { ...ruleShape(rule), kind: rule.kind, active: rule.active, ...rest };
    const issues = ruleIssues(merged);
    if (issues.length) throw fieldError(issues);
    const shapeBefore = slotShapeOf(rule);
    tx.assign(rule, { ...rest, service });
    const shapesSlots = slotShapeOf(rule) !== shapeBefore;
    if (shapesSlots) {
      await requireDoctorAtClinic(tx, rule.doctor.id, rule.clinic.id);
      await checkDoctorLimits(tx, rule.doctor.id, { ...merged, validUntil: merged.validUntil ?? null, id: rule.id }, settings);
    }
    await tx.flush();
    // An edit of what the slots do not depend on (note, tags, colour) lays nothing: the intervals, kind,
    // service and hours are as they were, so there is nothing to expand, diff or check. A new note or
    // new tags reach the free slots after commit (rule-annotations.ts), so the reply does not wait on
    // rewriting ~1,800 rows; the rule is the truth of its note.
    const { report, changes, annotated } = shapesSlots
      ? await materialiseRule(tx, rule, { ...settings, onClash: "refuse", attempted })
      : { report: { ...emptyReport(), kept: await freeFutureSlots(tx, rule.id, settings) }, changes: [], annotated: null };
    if (!shapesSlots && (rule.note !== before.note || JSON.stringify(rule.tags) !== JSON.stringify(before.tags))) {
      await recordEvents(tx, [{ name: "rule.annotated", data: { ruleId: rule.id } }]);
    }
    const after = ruleView(rule);
    recordAudit(tx, actor, {
      action: "schedule.rule.update",
      entityType: "AvailabilityRule",
      entityId: rule.id,
      clinicId: rule.clinic.id,
      before,
      after: { ...after, materialisation: { ...report, conflicts: report.conflicts.length } },
    });
    await tx.flush();
    return recorded(tx, { reply: { rule: after, materialisation: report }, changes, annotated });
  });
}

const FREE_FUTURE_SLOTS = prepared<{ n: number }>(
  "rule-free-future-slots",
  `select count(*)::int as n from slot where rule_id = $1 and starts_at >= $2 and status = 'available'`,
);

/** The rule's future free slots: what an edit that lays nothing keeps. */
async function freeFutureSlots(tx: EntityManager, ruleId: string, settings: SchedulingSettings): Promise<number> {
  const [row] = await runPrepared(tx, FREE_FUTURE_SLOTS, [ruleId, settings.now ?? new Date()]);
  return row?.n ?? 0;
}

/**
 * What a rule's slots are made of: their intervals (the expansion's inputs), kind and service, and
 * whether the rule runs at all. An edit that leaves this alone changes no slot's interval or public view.
 */
function slotShapeOf(rule: AvailabilityRule): string {
  const shape = ruleShape(rule);
  const { freq, interval, weekdays } = shape.recurrence;
  return JSON.stringify({ ...shape, recurrence: { freq, interval, weekdays }, kind: rule.kind, serviceId: rule.service?.id ?? null, active: rule.active });
}

/** Deletes the rule and its future free slots; held/booked/blocked ones stay (rule cleared) as conflicts. */
export async function deleteRule(
  em: EntityManager,
  actor: AuditActor,
  ruleId: string,
  settings: SchedulingSettings,
): Promise<WithSlotChanges<{ ruleId: string; materialisation: MaterialisationReport }>> {
  return em.transactional(async (tx) => {
    const rule = await tx.findOne(AvailabilityRule, ruleId);
    if (!rule) throw notFound("Availability rule");
    const before = ruleView(rule);
    rule.active = false;
    // The slots it leaves in place (held, booked, blocked) only lose their rule: no status or version change, no event.
    const { report, changes } = await materialiseRule(tx, rule, { ...settings, onClash: "skip" });
    await tx.nativeUpdate(Slot, { rule: rule.id }, { rule: null });
    tx.remove(rule);
    recordAudit(tx, actor, {
      action: "schedule.rule.delete",
      entityType: "AvailabilityRule",
      entityId: rule.id,
      clinicId: rule.clinic.id,
      before,
      after: { materialisation: { ...report, conflicts: report.conflicts.length } },
    });
    await tx.flush();
    return recorded(tx, { reply: { ruleId, materialisation: report }, changes });
  });
}

/** What a new or changed rule would produce and clash with; writes nothing. */
export async function previewRule(
  em: EntityManager,
  doctorId: string,
  input: PreviewAvailabilityRuleRequest,
  settings: SchedulingSettings,
): Promise<AvailabilityPreview> {
  const doctor = await requireDoctorAtClinic(em, doctorId, input.clinicId);
  const service = await resolveService(em, input.clinicId, input.serviceId);
  const slotMinutes = input.slotMinutes ?? service?.durationMinutes ?? 0;
  const existing = input.ruleId ? await findRule(em, input.ruleId) : null;
  if (existing && (existing.doctor.id !== doctorId || existing.clinic.id !== input.clinicId)) throw notFound("Availability rule");
  const clinic = await em.findOneOrFail(Clinic, input.clinicId);
  const now = settings.now ?? new Date();
  const to = new Date(now.getTime() + settings.horizonDays * 86_400_000);
  const blackouts = await loadBlackouts(em, doctorId, input.clinicId, now, to);
  const shape: RuleShape = { ...input, validUntil: input.validUntil ?? null, slotMinutes };
  const { slots, skipped } = expandRule(shape, { from: now, to }, clinic.timeZone, blackouts);
  // Free slots of the rule being edited would be regenerated, so they are not clashes.
  const own = existing
    ? (await em.find(Slot, { rule: existing.id, status: "available" }, { fields: ["id"] })).map((s) => s.id)
    : [];
  const slotClashes = await findSlotClashes(em, doctorId, slots, { excludeSlotIds: own });
  const hit = new Set(skipped.map((s) => s.blackout.id));
  const rules = [...(await activeRuleShapes(em, doctorId, existing?.id)), shape];
  const weeklyHours = { doctorId, employmentType: doctor.employmentType, maxHoursPerWeek: doctor.maxHoursPerWeek ?? null, weeks: weeklyHoursOf(rules, settings) };
  return {
    weeklyHours,
    slots: {
      count: slots.length,
      first: slots.slice(0, PREVIEW_SLOT_SAMPLE).map((s) => ({ start: s.start.toISOString(), end: s.end.toISOString() })),
    },
    skipped: skipped.map((s) => ({
      start: s.start.toISOString(),
      end: s.end.toISOString(),
      unavailabilityId: s.blackout.id,
      kind: s.blackout.kind as AvailabilityPreview["skipped"][number]["kind"],
    })),
    conflicts: [...slotClashes, ...blackouts.filter((b) => hit.has(b.id)).map(blackoutClash)],
  };
}
