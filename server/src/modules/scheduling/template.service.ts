/**
 * Schedule templates (a named day or week of working stretches), applying them to a doctor as
 * rules, and cloning a real day or week of a doctor's slots onto other days as ad-hoc slots.
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import {
  addDays,
  daysBetween,
  isoWeekday,
  localDateOf,
  localTimeOf,
  minutesOf,
  zonedToInstant,
  type AvailabilityRuleView,
  type CreateTemplateRequest,
  type MaterialisationReport,
  type ScheduleClash,
  type ScheduleTemplateView,
  type StaffSlotView,
  type TemplateEntry,
} from "@clinic/shared";
import { conflict, invalid, notFound, unprocessable } from "../../platform/errors";
import { recordAudit, type AuditActor } from "../../platform/audit";
import type { SlotChange } from "./slot.store";
import { Clinic } from "../directory";
import { writeTransaction } from "../../platform/transactions";
import { AvailabilityRule } from "./availability-rule.entity";
import { createRuleIn, requireDoctorAtClinic, type SchedulingSettings } from "./availability-rule.service";
import { findSlotClashes, isExclusionViolation, slotConflictError } from "./conflicts.service";
import { mergeReports } from "./materialise.service";
import { ruleMatchesDay, ruleShape, type Interval } from "./rule-expansion";
import { ScheduleTemplate } from "./schedule-template.entity";
import { byStartThenId, entityChange, recorded, type WithSlotChanges } from "./slot-events";
import { Slot } from "./slot.entity";
import { ruleView, staffSlotView, templateView } from "./slot.views";
import { finishOrRollBack, withDryRun } from "./dry-run";

const nameTaken = (name: string) => conflict("TEMPLATE_NAME_TAKEN", `This clinic already has a template named "${name}"`, { name });

/** The first day of the span containing `date`: the day itself, or the Monday of its ISO week. */
const spanStart = (span: "day" | "week", date: string) => (span === "day" ? date : addDays(date, 1 - isoWeekday(date)));

/**
 * A real day/week of a doctor at a clinic as template entries: the rules working on each day, plus
 * runs of ad-hoc slots (equal length, equal gaps) on days no rule covers.
 */
async function entriesFromSchedule(em: EntityManager, clinic: Clinic, doctorId: string, span: "day" | "week", fromDate: string): Promise<TemplateEntry[]> {
  const first = spanStart(span, fromDate);
  const days = span === "day" ? 1 : 7;
  const rules = await em.find(AvailabilityRule, { doctor: doctorId, clinic: clinic.id, active: true }, { orderBy: { startTime: "asc" } });
  const entries: TemplateEntry[] = [];
  const covered = new Set<number>();
  for (let offset = 0; offset < days; offset++) {
    const day = addDays(first, offset);
    for (const rule of rules) {
      if (!ruleMatchesDay(ruleShape(rule), day)) continue;
      covered.add(offset);
      entries.push({
        dayOffset: offset,
        startTime: rule.startTime,
        endTime: rule.endTime,
        breaks: rule.breaks,
        slotMinutes: rule.slotMinutes,
        bufferMinutes: rule.bufferMinutes,
        serviceId: rule.service?.id ?? null,
        kind: rule.kind,
        tags: rule.tags,
      });
    }
  }
  const from = zonedToInstant(first, "00:00", clinic.timeZone);
  const to = zonedToInstant(addDays(first, days), "00:00", clinic.timeZone);
  const slots = await em.find(
    Slot,
    { doctor: doctorId, clinic: clinic.id, startsAt: { $gte: from, $lt: to }, status: { $ne: "expired" }, overbooked: false },
    { orderBy: { startsAt: "asc" } },
  );
  interface Run {
    offset: number;
    start: string;
    end: string;
    length: number;
    gap: number | null;
    slot: Slot;
  }
  const runs: Run[] = [];
  for (const slot of slots) {
    const offset = daysBetween(first, localDateOf(slot.startsAt, clinic.timeZone));
    if (covered.has(offset)) continue;
    const start = localTimeOf(slot.startsAt, clinic.timeZone);
    const end = localTimeOf(slot.endsAt, clinic.timeZone);
    const length = minutesOf(end) - minutesOf(start);
    if (length <= 0) continue;
    const current = runs.at(-1);
    if (current && current.offset === offset && current.length === length) {
      const gap = minutesOf(start) - minutesOf(current.end);
      if (gap >= 0 && (current.gap === null || current.gap === gap)) {
        current.gap = gap;
        current.end = end;
        continue;
      }
    }
    runs.push({ offset, start, end, length, gap: null, slot });
  }
  for (const run of runs) {
    entries.push({
      dayOffset: run.offset,
      startTime: run.start,
      endTime: run.end,
      breaks: [],
      slotMinutes: run.length,
      bufferMinutes: run.gap ?? 0,
      serviceId: run.slot.service?.id ?? null,
      kind: run.slot.kind,
      tags: run.slot.tags,
    });
  }
  return entries.sort((a, b) => a.dayOffset - b.dayOffset || minutesOf(a.startTime) - minutesOf(b.startTime));
}

export async function createTemplate(em: EntityManager, actor: AuditActor, clinicId: string, input: CreateTemplateRequest): Promise<ScheduleTemplateView> {
  return writeTransaction(
    em,
    async (tx) => {
      const clinic = await tx.findOne(Clinic, clinicId);
      if (!clinic) throw notFound("Clinic");
      if (await tx.count(ScheduleTemplate, { clinic: clinicId, name: input.name })) throw nameTaken(input.name);
      let entries: TemplateEntry[];
      if ("entries" in input) {
        entries = input.entries;
        if (input.span === "day" && entries.some((e) => e.dayOffset !== 0)) {
          throw invalid("body.entries", "a day template has dayOffset 0 only");
        }
      } else {
        await requireDoctorAtClinic(tx, input.fromDoctorId, clinicId);
        entries = await entriesFromSchedule(tx, clinic, input.fromDoctorId, input.span, input.fromDate);
        if (entries.length === 0) {
          throw unprocessable("NOTHING_TO_SAVE");
        }
      }
      const template = tx.create(ScheduleTemplate, { clinic, name: input.name, span: input.span, entries });
      const after = templateView(template);
      recordAudit(tx, actor, { action: "schedule.template.create", entityType: "ScheduleTemplate", entityId: template.id, clinicId, after });
      await tx.flush();
      return after;
    },
    () => nameTaken(input.name),
  );
}

export async function listTemplates(em: EntityManager, clinicId: string): Promise<ScheduleTemplateView[]> {
  return (await em.find(ScheduleTemplate, { clinic: clinicId }, { orderBy: { name: "asc" } })).map(templateView);
}

export async function findTemplate(em: EntityManager, templateId: string): Promise<ScheduleTemplate> {
  const template = await em.findOne(ScheduleTemplate, templateId);
  if (!template) throw notFound("Template");
  return template;
}

/** One rule per entry, valid in [from, to]: weekly on the entry's weekday, or daily for day templates. */
export async function applyTemplate(
  em: EntityManager,
  actor: AuditActor,
  templateId: string,
  input: { doctorId: string; from: string; to: string; dryRun?: boolean },
  settings: SchedulingSettings,
): Promise<WithSlotChanges<{ rules: AvailabilityRuleView[]; materialisation: MaterialisationReport }>> {
  const attempted: Interval[] = [];
  try {
    return await withDryRun(() => em.transactional(async (tx) => {
      const template = await findTemplate(tx, templateId);
      const clinicId = template.clinic.id;
      const rules: AvailabilityRule[] = [];
      const reports: MaterialisationReport[] = [];
      const changes: SlotChange[] = [];
      for (const entry of template.entries) {
        const { rule, report, changes: made } = await createRuleIn(
          tx,
          input.doctorId,
          {
            clinicId,
            serviceId: entry.serviceId,
            kind: entry.kind,
            recurrence:
              template.span === "week" ? { freq: "weekly", interval: 1, weekdays: [entry.dayOffset + 1] } : { freq: "daily", interval: 1, weekdays: [] },
            validFrom: input.from,
            validUntil: input.to,
            startTime: entry.startTime,
            endTime: entry.endTime,
            breaks: entry.breaks,
            slotMinutes: entry.slotMinutes,
            bufferMinutes: entry.bufferMinutes,
            tags: entry.tags,
            note: null,
            colour: null,
          },
          settings,
          attempted,
        );
        rules.push(rule);
        reports.push(report);
        changes.push(...made);
      }
      const views = rules.map(ruleView);
      const materialisation = mergeReports(reports);
      recordAudit(tx, actor, {
        action: "schedule.template.apply",
        entityType: "ScheduleTemplate",
        entityId: template.id,
        clinicId,
        after: { doctorId: input.doctorId, from: input.from, to: input.to, ruleIds: views.map((r) => r.id), created: materialisation.created },
      });
      await tx.flush();
      // New rules only create slots; one stream in time order however the entries were listed.
      return finishOrRollBack(!!input.dryRun, await recorded(tx, { reply: { rules: views, materialisation }, changes: changes.sort(byStartThenId) }));
    }));
  } catch (error) {
    if (isExclusionViolation(error)) throw await slotConflictError(em, input.doctorId, attempted);
    throw error;
  }
}

/**
 * Copies the doctor's slots of [sourceFrom, sourceTo] at the clinic onto each target start, same
 * local wall times and lengths, as ad-hoc available slots (blocked ones stay blocked; bookings are
 * not copied). Clashing or past copies are skipped and reported.
 */
export async function cloneSlots(
  em: EntityManager,
  actor: AuditActor,
  doctorId: string,
  input: { clinicId: string; sourceFrom: string; sourceTo: string; targetStarts: string[]; dryRun?: boolean },
  settings: SchedulingSettings,
): Promise<WithSlotChanges<{ created: StaffSlotView[]; skipped: { start: string; end: string; reason: "clash" | "past"; clashWith: ScheduleClash[] }[] }>> {
  const attempted: Interval[] = [];
  try {
    return await withDryRun(() => em.transactional(async (tx) => {
      await requireDoctorAtClinic(tx, doctorId, input.clinicId);
      const clinic = await tx.findOneOrFail(Clinic, input.clinicId);
      const zone = clinic.timeZone;
      const source = await tx.find(
        Slot,
        {
          doctor: doctorId,
          clinic: input.clinicId,
          startsAt: { $gte: zonedToInstant(input.sourceFrom, "00:00", zone), $lt: zonedToInstant(addDays(input.sourceTo, 1), "00:00", zone) },
          status: { $ne: "expired" },
          overbooked: false,
        },
        { orderBy: { startsAt: "asc" } },
      );
      const now = settings.now ?? new Date();
      const candidates: (Interval & { from: Slot })[] = [];
      for (const target of input.targetStarts) {
        const shift = daysBetween(input.sourceFrom, target);
        for (const slot of source) {
          const day = addDays(localDateOf(slot.startsAt, zone), shift);
          const start = zonedToInstant(day, localTimeOf(slot.startsAt, zone), zone);
          candidates.push({ start, end: new Date(start.getTime() + (slot.endsAt.getTime() - slot.startsAt.getTime())), from: slot });
        }
      }
      const skipped: { start: string; end: string; reason: "clash" | "past"; clashWith: ScheduleClash[] }[] = [];
      const existing = await findSlotClashes(tx, doctorId, candidates);
      const taken: Interval[] = [];
      const created: Slot[] = [];
      for (const c of candidates) {
        const iso = { start: c.start.toISOString(), end: c.end.toISOString() };
        if (c.start < now) {
          skipped.push({ ...iso, reason: "past", clashWith: [] });
          continue;
        }
        const clashWith = existing.filter((e) => new Date(e.start) < c.end && c.start < new Date(e.end ?? 8.64e15));
        if (clashWith.length || taken.some((t) => t.start < c.end && c.start < t.end)) {
          skipped.push({ ...iso, reason: "clash", clashWith });
          continue;
        }
        taken.push(c);
        attempted.push(c);
        created.push(
          tx.create(Slot, {
            doctor: doctorId,
            clinic: input.clinicId,
            rule: null,
            service: c.from.service?.id ?? null,
            startsAt: c.start,
            endsAt: c.end,
            status: c.from.status === "blocked" ? "blocked" : "available",
            kind: c.from.kind,
            tags: [...c.from.tags],
            note: c.from.note ?? null,
            version: 1,
          }),
        );
      }
      await tx.flush();
      recordAudit(tx, actor, {
        action: "schedule.slots.clone",
        entityType: "Slot",
        clinicId: input.clinicId,
        after: { doctorId, clinicId: input.clinicId, sourceFrom: input.sourceFrom, sourceTo: input.sourceTo, targetStarts: input.targetStarts, created: created.length, skipped: skipped.length },
      });
      await tx.flush();
      return finishOrRollBack(!!input.dryRun, await recorded(tx, {
        reply: { created: created.map(staffSlotView) as StaffSlotView[], skipped },
        changes: created.map((slot) => entityChange(slot, "created")).sort(byStartThenId),
      }));
    }));
  } catch (error) {
    if (isExclusionViolation(error)) throw await slotConflictError(em, doctorId, attempted);
    throw error;
  }
}
