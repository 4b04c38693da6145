/**
 * Request and reply shapes of availability rules, materialised slots (staff view), templates,
 * cloning and overbooking (docs/scheduling.md). Instants are ISO strings; wall times "HH:MM" and
 * days "YYYY-MM-DD" in the clinic's zone.
 */
import { z } from "zod";
import { instantSchema, localDateSchema, offsetInstantSchema } from "./calendar";
import {
  breakSchema,
  recurrenceSchema,
  slotKinds,
  slotStatuses,
  templateEntrySchema,
  unavailabilityKinds,
  wallTimeSchema,
} from "./scheduling";
import { minutesOf } from "./time";
import { employmentTypes } from "./directory";

const colourSchema = z.string().regex(/^#[0-9a-fA-F]{6}$/, "#rrggbb");
const tagsSchema = z.array(z.string().min(1).max(40)).max(10);

/** The fields of a rule that shape its slots; checked together by `ruleIssues`. */
export interface RuleShapeInput {
  recurrence?: { freq: "daily" | "weekly"; interval: number; weekdays: number[] };
  validFrom?: string;
  validUntil?: string | null;
  startTime?: string;
  endTime?: string;
  breaks?: { start: string; end: string }[];
  slotMinutes?: number;
  bufferMinutes?: number;
}

/** Cross-field checks of a rule, each naming its field (`endTime`, `breaks.0.start`, …). */
export function ruleIssues(rule: RuleShapeInput): { path: (string | number)[]; message: string }[] {
  const issues: { path: (string | number)[]; message: string }[] = [];
  const { startTime, endTime } = rule;
  if (startTime && endTime && minutesOf(endTime) <= minutesOf(startTime)) {
    issues.push({ path: ["endTime"], message: "must be after startTime" });
  }
  if (rule.validFrom && rule.validUntil && rule.validUntil < rule.validFrom) {
    issues.push({ path: ["validUntil"], message: "must not be before validFrom" });
  }
  if (rule.recurrence?.freq === "weekly" && rule.recurrence.weekdays.length === 0) {
    issues.push({ path: ["recurrence", "weekdays"], message: "a weekly rule needs at least one weekday" });
  }
  if (rule.recurrence && new Set(rule.recurrence.weekdays).size !== rule.recurrence.weekdays.length) {
    issues.push({ path: ["recurrence", "weekdays"], message: "weekdays must not repeat" });
  }
  const breaks = [...(rule.breaks ?? [])];
  breaks.forEach((b, index) => {
    if (minutesOf(b.end) <= minutesOf(b.start)) issues.push({ path: ["breaks", index, "end"], message: "must be after start" });
    if (startTime && endTime && (minutesOf(b.start) < minutesOf(startTime) || minutesOf(b.end) > minutesOf(endTime))) {
      issues.push({ path: ["breaks", index, "start"], message: "breaks must lie inside startTime–endTime" });
    }
  });
  const sorted = breaks.map((b, index) => ({ ...b, index })).sort((a, b) => minutesOf(a.start) - minutesOf(b.start));
  for (let i = 1; i < sorted.length; i++) {
    if (minutesOf(sorted[i]!.start) < minutesOf(sorted[i - 1]!.end)) {
      issues.push({ path: ["breaks", sorted[i]!.index, "start"], message: "breaks must not overlap" });
    }
  }
  if (startTime && endTime && rule.slotMinutes && minutesOf(endTime) - minutesOf(startTime) < rule.slotMinutes) {
    issues.push({ path: ["slotMinutes"], message: "longer than the working hours" });
  }
  return issues;
}

const ruleFields = {
  serviceId: z.uuid().nullable().optional(),
  kind: z.enum(slotKinds).default("regular"),
  recurrence: recurrenceSchema,
  validFrom: localDateSchema,
  validUntil: localDateSchema.nullable().optional(),
  startTime: wallTimeSchema,
  endTime: wallTimeSchema,
  breaks: z.array(breakSchema).max(10).default([]),
  /** Optional when `serviceId` is given: the service's duration. */
  slotMinutes: z.number().int().min(5).max(480).optional(),
  bufferMinutes: z.number().int().min(0).max(120).default(0),
  tags: tagsSchema.default([]),
  note: z.string().max(2000).nullable().optional(),
  colour: colourSchema.nullable().optional(),
};

function refineRule(value: RuleShapeInput & { serviceId?: string | null }, ctx: z.RefinementCtx) {
  for (const issue of ruleIssues(value)) ctx.addIssue({ code: "custom", path: issue.path, message: issue.message });
}

const createRuleObject = z.strictObject({ clinicId: z.uuid(), ...ruleFields });
export const createAvailabilityRuleRequestSchema = createRuleObject.superRefine((value, ctx) => {
  refineRule(value, ctx);
  if (value.slotMinutes === undefined && !value.serviceId) {
    ctx.addIssue({ code: "custom", path: ["slotMinutes"], message: "required unless serviceId is given" });
  }
});
export type CreateAvailabilityRuleRequest = z.infer<typeof createAvailabilityRuleRequestSchema>;

export const previewAvailabilityRuleRequestSchema = z
  .strictObject({ ...createRuleObject.shape, ruleId: z.uuid().optional() })
  .superRefine((value, ctx) => {
    refineRule(value, ctx);
    if (value.slotMinutes === undefined && !value.serviceId) {
      ctx.addIssue({ code: "custom", path: ["slotMinutes"], message: "required unless serviceId is given" });
    }
  });
export type PreviewAvailabilityRuleRequest = z.infer<typeof previewAvailabilityRuleRequestSchema>;

/** Every field optional (no defaults, so absent means unchanged); the merged rule is checked again. */
export const updateAvailabilityRuleRequestSchema = z
  .strictObject({
    serviceId: z.uuid().nullable().optional(),
    kind: z.enum(slotKinds).optional(),
    recurrence: recurrenceSchema.optional(),
    validFrom: localDateSchema.optional(),
    validUntil: localDateSchema.nullable().optional(),
    startTime: wallTimeSchema.optional(),
    endTime: wallTimeSchema.optional(),
    breaks: z.array(breakSchema).max(10).optional(),
    slotMinutes: z.number().int().min(5).max(480).optional(),
    bufferMinutes: z.number().int().min(0).max(120).optional(),
    tags: tagsSchema.optional(),
    note: z.string().max(2000).nullable().optional(),
    colour: colourSchema.nullable().optional(),
    active: z.boolean().optional(),
  })
  .superRefine((value, ctx) => refineRule(value, ctx));
export type UpdateAvailabilityRuleRequest = z.infer<typeof updateAvailabilityRuleRequestSchema>;

export const availabilityRuleSchema = z.object({
  id: z.uuid(),
  doctorId: z.uuid(),
  clinicId: z.uuid(),
  serviceId: z.uuid().nullable(),
  kind: z.enum(slotKinds),
  recurrence: recurrenceSchema,
  validFrom: localDateSchema,
  validUntil: localDateSchema.nullable(),
  startTime: wallTimeSchema,
  endTime: wallTimeSchema,
  breaks: z.array(breakSchema),
  slotMinutes: z.number().int(),
  bufferMinutes: z.number().int(),
  tags: z.array(z.string()),
  note: z.string().nullable(),
  colour: z.string().nullable(),
  active: z.boolean(),
  createdAt: instantSchema,
  updatedAt: instantSchema,
});
export type AvailabilityRuleView = z.infer<typeof availabilityRuleSchema>;
export const availabilityRuleListSchema = z.object({ items: z.array(availabilityRuleSchema) });

export const intervalSchema = z.object({ start: instantSchema, end: instantSchema });
export type IntervalView = z.infer<typeof intervalSchema>;

/** A slot the rule engine would not touch: held, booked or blocked, and no longer in its rule. */
export const slotConflictSchema = z.object({
  slotId: z.uuid(),
  clinicId: z.uuid(),
  start: instantSchema,
  end: instantSchema,
  status: z.enum(slotStatuses),
  reason: z.enum(["outside_rule", "rule_deleted"]),
});
export type SlotConflict = z.infer<typeof slotConflictSchema>;

export const materialisationReportSchema = z.object({
  created: z.number().int(),
  kept: z.number().int(),
  removed: z.number().int(),
  /** Held/booked/blocked slots left in place although the rule no longer produces them. */
  conflicts: z.array(slotConflictSchema),
});
export type MaterialisationReport = z.infer<typeof materialisationReportSchema>;

export const availabilityRuleWriteReplySchema = z.object({
  rule: availabilityRuleSchema,
  materialisation: materialisationReportSchema,
});
export const availabilityRuleDeleteReplySchema = z.object({
  ruleId: z.uuid(),
  materialisation: materialisationReportSchema,
});

/** One clash a schedule change would cause; every clash is listed at once. */
export const scheduleClashSchema = z.object({
  type: z.enum(["slot", "elastic_block", "doctor_leave", "clinic_closure", "surgery"]),
  start: instantSchema,
  end: instantSchema.nullable(),
  clinicId: z.uuid().nullable(),
  clinicName: z.string().nullable(),
  slotId: z.uuid().optional(),
  blockId: z.uuid().optional(),
  status: z.enum(slotStatuses).optional(),
  unavailabilityId: z.uuid().optional(),
  kind: z.enum(unavailabilityKinds).optional(),
  reason: z.string().nullable().optional(),
});
export type ScheduleClash = z.infer<typeof scheduleClashSchema>;

export const PREVIEW_SLOT_SAMPLE = 50;
// ---------------------------------------------------------------- contracted hours

/**
 * PUT /clinics/:clinicId/doctors/:doctorId/contract (an admin of a clinic where the doctor works, or
 * the platform): part-time needs a weekly cap; a locum has none (single-day availability only).
 */
export const doctorContractRequestSchema = z
  .strictObject({
    employmentType: z.enum(employmentTypes),
    maxHoursPerWeek: z.number().int().min(1).max(80).nullable(),
  })
  .superRefine((value, ctx) => {
    if (value.employmentType === "part_time" && value.maxHoursPerWeek === null) {
      ctx.addIssue({ code: "custom", path: ["maxHoursPerWeek"], message: "a part-time doctor needs a weekly cap" });
    }
    if (value.employmentType === "locum" && value.maxHoursPerWeek !== null) {
      ctx.addIssue({ code: "custom", path: ["maxHoursPerWeek"], message: "locums have no weekly cap (single-day availability only): null" });
    }
  });
export type DoctorContractRequest = z.infer<typeof doctorContractRequestSchema>;

/** A doctor's contract and the hours their active rules (every clinic) give in each ISO week of the horizon. */
export const weeklyHoursSchema = z.object({
  doctorId: z.uuid(),
  employmentType: z.enum(employmentTypes),
  maxHoursPerWeek: z.number().int().nullable(),
  /** Each week by its Monday, first to last; `hours` as worked (slots, not breaks or buffers). */
  weeks: z.array(z.object({ week: localDateSchema, hours: z.number() })),
});
export type WeeklyHours = z.infer<typeof weeklyHoursSchema>;

export const availabilityPreviewSchema = z.object({
  /** The doctor's weekly hours with this rule in place (of the one it edits): what the cap is checked on. */
  weeklyHours: weeklyHoursSchema,
  slots: z.object({ count: z.number().int(), first: z.array(intervalSchema) }),
  /** Pieces left out because an unavailability covers them. */
  skipped: z.array(intervalSchema.extend({ unavailabilityId: z.uuid(), kind: z.enum(unavailabilityKinds) })),
  conflicts: z.array(scheduleClashSchema),
});
export type AvailabilityPreview = z.infer<typeof availabilityPreviewSchema>;

// ---------------------------------------------------------------- slots (staff view)

export const staffSlotSchema = z.object({
  id: z.uuid(),
  doctorId: z.uuid(),
  clinicId: z.uuid(),
  ruleId: z.uuid().nullable(),
  serviceId: z.uuid().nullable(),
  start: instantSchema,
  end: instantSchema,
  status: z.enum(slotStatuses),
  kind: z.enum(slotKinds),
  tags: z.array(z.string()),
  note: z.string().nullable(),
  holdExpiresAt: instantSchema.nullable(),
  overbooked: z.boolean(),
  overbookedBy: z.uuid().nullable(),
  overbookReason: z.string().nullable(),
  version: z.number().int(),
});
export type StaffSlotView = z.infer<typeof staffSlotSchema>;

export const MAX_SLOT_RANGE_DAYS = 31;
export const doctorSlotsQuerySchema = z
  .strictObject({
    clinicId: z.uuid(),
    from: offsetInstantSchema,
    to: offsetInstantSchema,
    status: z.enum(slotStatuses).optional(),
  })
  .superRefine((value, ctx) => {
    const span = Date.parse(value.to) - Date.parse(value.from);
    if (span <= 0) ctx.addIssue({ code: "custom", path: ["to"], message: "must be after from" });
    else if (span > MAX_SLOT_RANGE_DAYS * 86_400_000) {
      ctx.addIssue({ code: "custom", path: ["to"], message: `at most ${MAX_SLOT_RANGE_DAYS} days after from` });
    }
  });
export const staffSlotListSchema = z.object({ items: z.array(staffSlotSchema) });

// ---------------------------------------------------------------- templates

export const createTemplateRequestSchema = z.union([
  z.strictObject({
    name: z.string().trim().min(1).max(120),
    span: z.enum(["day", "week"]),
    entries: z.array(templateEntrySchema).min(1).max(50),
  }),
  z.strictObject({
    name: z.string().trim().min(1).max(120),
    span: z.enum(["day", "week"]),
    fromDoctorId: z.uuid(),
    fromDate: localDateSchema,
  }),
]);
export type CreateTemplateRequest = z.infer<typeof createTemplateRequestSchema>;

export const scheduleTemplateSchema = z.object({
  id: z.uuid(),
  clinicId: z.uuid(),
  name: z.string(),
  span: z.enum(["day", "week"]),
  entries: z.array(templateEntrySchema),
  createdAt: instantSchema,
});
export type ScheduleTemplateView = z.infer<typeof scheduleTemplateSchema>;
export const scheduleTemplateListSchema = z.object({ items: z.array(scheduleTemplateSchema) });

export const applyTemplateRequestSchema = z
  .strictObject({
    doctorId: z.uuid(),
    from: localDateSchema,
    to: localDateSchema,
    /** Run every check and report what would be created, then roll back (200; ids are not kept). */
    dryRun: z.boolean().default(false),
  })
  .refine((value) => value.to >= value.from, { path: ["to"], message: "must not be before from" });
export const applyTemplateReplySchema = z.object({
  rules: z.array(availabilityRuleSchema),
  materialisation: materialisationReportSchema,
});

export const cloneSlotsRequestSchema = z
  .strictObject({
    clinicId: z.uuid(),
    sourceFrom: localDateSchema,
    sourceTo: localDateSchema,
    targetStarts: z.array(localDateSchema).min(1).max(26),
    /** Report the copies and skips, then roll back (200; ids are not kept). */
    dryRun: z.boolean().default(false),
  })
  .superRefine((value, ctx) => {
    if (value.sourceTo < value.sourceFrom) ctx.addIssue({ code: "custom", path: ["sourceTo"], message: "must not be before sourceFrom" });
    else if (Date.parse(value.sourceTo) - Date.parse(value.sourceFrom) > 6 * 86_400_000) {
      ctx.addIssue({ code: "custom", path: ["sourceTo"], message: "the source is a day or a week (at most 7 days)" });
    }
  });
export const cloneSlotsReplySchema = z.object({
  created: z.array(staffSlotSchema),
  skipped: z.array(intervalSchema.extend({ reason: z.enum(["clash", "past"]), clashWith: z.array(scheduleClashSchema) })),
});

// ---------------------------------------------------------------- overbooking

export const createOverbookingPolicyRequestSchema = z.strictObject({
  doctorId: z.uuid().nullable().optional(),
  serviceId: z.uuid().nullable().optional(),
  capPerDay: z.number().int().min(1).max(50),
  reason: z.string().trim().min(1).max(500),
});
export const overbookingPolicySchema = z.object({
  id: z.uuid(),
  clinicId: z.uuid(),
  doctorId: z.uuid().nullable(),
  serviceId: z.uuid().nullable(),
  capPerDay: z.number().int(),
  allowedBy: z.uuid().nullable(),
  reason: z.string(),
  createdAt: instantSchema,
});
export type OverbookingPolicyView = z.infer<typeof overbookingPolicySchema>;

export const overbookRequestSchema = z
  .strictObject({
    clinicId: z.uuid(),
    startsAt: offsetInstantSchema,
    endsAt: offsetInstantSchema,
    serviceId: z.uuid().nullable().optional(),
    reason: z.string().trim().min(1).max(500),
  })
  .superRefine((value, ctx) => {
    const span = Date.parse(value.endsAt) - Date.parse(value.startsAt);
    if (span <= 0) ctx.addIssue({ code: "custom", path: ["endsAt"], message: "must be after startsAt" });
    else if (span > 8 * 3_600_000) ctx.addIssue({ code: "custom", path: ["endsAt"], message: "at most 8 hours after startsAt" });
  });
