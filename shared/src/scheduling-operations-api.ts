/**
 * Request and reply shapes of the scheduling operations routes: time off and clinic closures, bulk
 * slot operations, CSV/iCalendar import and the iCalendar export. Bodies are strict.
 */
import { z } from "zod";
import { instantSchema, offsetInstantSchema } from "./calendar";
import { slotKinds, slotStatuses, unavailabilityKinds } from "./scheduling";

const reason = z.string().trim().min(1).max(500);
const flag = z.boolean().default(false);

/** A slot as the operations routes report it (the same names as `GET /slots` items). */
export const operationSlotSchema = z.object({
  /** Null only for a slot a dry run would create. */
  id: z.uuid().nullable(),
  doctorId: z.uuid(),
  clinicId: z.uuid(),
  start: instantSchema,
  end: instantSchema,
  status: z.enum(slotStatuses),
  kind: z.enum(slotKinds),
  serviceId: z.uuid().nullable(),
  version: z.number().int(),
});
export type OperationSlot = z.infer<typeof operationSlotSchema>;

// ---------------------------------------------------------------- time off and closures

export const doctorLeaveKinds = ["vacation", "conference", "surgery", "emergency_leave"] as const;
export const closureKinds = ["holiday", "closure"] as const;

export const createUnavailabilityRequestSchema = z
  .strictObject({
    /** Omitted or null: every clinic the doctor works at. */
    clinicId: z.uuid().nullable().optional(),
    kind: z.enum(doctorLeaveKinds),
    startsAt: offsetInstantSchema,
    /** Omitted or null: permanent from `startsAt`. */
    endsAt: offsetInstantSchema.nullable().optional(),
    reason,
    /** Release held/booked slots in range too (status → blocked) and notify their holders. */
    autoCancel: flag,
    dryRun: flag,
  })
  .refine((v) => v.endsAt == null || Date.parse(v.endsAt) > Date.parse(v.startsAt), {
    path: ["endsAt"],
    message: "must be after startsAt",
  });
export type CreateUnavailabilityRequest = z.infer<typeof createUnavailabilityRequestSchema>;

export const createClosureRequestSchema = z
  .strictObject({
    kind: z.enum(closureKinds),
    startsAt: offsetInstantSchema,
    endsAt: offsetInstantSchema,
    reason,
    autoCancel: flag,
    dryRun: flag,
  })
  .refine((v) => Date.parse(v.endsAt) > Date.parse(v.startsAt), { path: ["endsAt"], message: "must be after startsAt" });
export type CreateClosureRequest = z.infer<typeof createClosureRequestSchema>;

export const unavailabilitySchema = z.object({
  id: z.uuid(),
  doctorId: z.uuid().nullable(),
  clinicId: z.uuid().nullable(),
  kind: z.enum(unavailabilityKinds),
  startsAt: instantSchema,
  endsAt: instantSchema.nullable(),
  reason: z.string().nullable(),
  createdBy: z.uuid().nullable(),
  createdAt: instantSchema,
});
export type UnavailabilityView = z.infer<typeof unavailabilitySchema>;

export const unavailabilityListSchema = z.object({ items: z.array(unavailabilitySchema) });

export const unavailabilityRangeQuerySchema = z.strictObject({
  from: offsetInstantSchema.optional(),
  to: offsetInstantSchema.optional(),
});

/** What creating time off did (or, with `dryRun`, would do). */
export const unavailabilityResultSchema = z.object({
  dryRun: z.boolean(),
  /** Null on a dry run. */
  unavailability: unavailabilitySchema.nullable(),
  /** Free slots now blocked. */
  blocked: z.array(operationSlotSchema),
  /** Held or booked slots in range, as they were before this request. */
  affected: z.array(operationSlotSchema),
  /** With `autoCancel`: the held/booked slots released (now blocked). */
  cancelled: z.array(operationSlotSchema),
  /** With `autoCancel`: the appointments cancelled on them (none on a dry run). */
  cancelledAppointmentIds: z.array(z.uuid()),
});
export type UnavailabilityResult = z.infer<typeof unavailabilityResultSchema>;

export const deleteUnavailabilityResultSchema = z.object({
  deleted: unavailabilitySchema,
  /** Future slots it had blocked that are free again. */
  reopened: z.array(operationSlotSchema),
});

// ---------------------------------------------------------------- bulk

export const bulkActions = ["resize", "delete", "block"] as const;

export const bulkSlotsRequestSchema = z
  .strictObject({
    clinicId: z.uuid(),
    from: offsetInstantSchema,
    to: offsetInstantSchema,
    filter: z
      .strictObject({
        serviceId: z.uuid().optional(),
        kind: z.enum(slotKinds).optional(),
        /** Only free slots are ever changed. */
        status: z.literal("available").default("available"),
      })
      .default({ status: "available" }),
    action: z.enum(bulkActions),
    /** resize: the new length of each slot. */
    newMinutes: z.number().int().min(5).max(480).optional(),
    /** block: why. */
    reason: reason.optional(),
    dryRun: flag,
  })
  .superRefine((v, ctx) => {
    const span = Date.parse(v.to) - Date.parse(v.from);
    if (span <= 0) ctx.addIssue({ code: "custom", path: ["to"], message: "must be after from" });
    if (span > 366 * 86_400_000) ctx.addIssue({ code: "custom", path: ["to"], message: "at most 366 days after from" });
    if (v.action === "resize" && v.newMinutes === undefined) {
      ctx.addIssue({ code: "custom", path: ["newMinutes"], message: "required for resize" });
    }
    if (v.action === "block" && v.reason === undefined) ctx.addIssue({ code: "custom", path: ["reason"], message: "required for block" });
  });
export type BulkSlotsRequest = z.infer<typeof bulkSlotsRequestSchema>;

export const bulkSlotsResultSchema = z.object({
  dryRun: z.boolean(),
  changed: z.object({
    created: z.array(operationSlotSchema),
    deleted: z.array(operationSlotSchema),
    blocked: z.array(operationSlotSchema),
    /** Slots in range matching the filter except for their status (held, booked, blocked): left alone. */
    unchangedBecauseTaken: z.array(operationSlotSchema),
  }),
});
export type BulkSlotsResult = z.infer<typeof bulkSlotsResultSchema>;

// ---------------------------------------------------------------- import and export

export const importFormats = ["csv", "ics"] as const;

export const importQuerySchema = z.strictObject({
  clinicId: z.uuid(),
  format: z.enum(importFormats),
  skipBadRows: z.enum(["true", "false"]).default("false"),
  /** Check every row and report what would be imported, then roll back (ids are not kept). */
  dryRun: z.enum(["true", "false"]).default("false"),
});

/** One problem with one row (CSV: the file line the record starts on; ICS: the VEVENT's ordinal). */
export const importIssueSchema = z.object({ row: z.number().int(), field: z.string(), message: z.string() });
export type ImportIssue = z.infer<typeof importIssueSchema>;

export const importResultSchema = z.object({
  imported: z.number().int(),
  slots: z.array(operationSlotSchema),
  /** Rows left out (only with skipBadRows=true; otherwise any issue is a 422). */
  report: z.array(importIssueSchema),
  /** ICS events skipped on purpose (STATUS:CANCELLED), by ordinal. */
  skipped: z.array(z.number().int()),
});
export type ImportResult = z.infer<typeof importResultSchema>;

export const exportQuerySchema = z.strictObject({
  clinicId: z.uuid(),
  from: offsetInstantSchema.optional(),
  to: offsetInstantSchema.optional(),
});
