import { z } from "zod";

export const slotStatuses = ["available", "held", "booked", "blocked", "expired"] as const;
export type SlotStatus = (typeof slotStatuses)[number];
/** Walk-in and emergency slots are kept out of online booking. */
export const slotKinds = ["regular", "walk_in", "emergency"] as const;
export type SlotKind = (typeof slotKinds)[number];

export const unavailabilityKinds = ["vacation", "conference", "surgery", "emergency_leave", "holiday", "closure"] as const;
export type UnavailabilityKind = (typeof unavailabilityKinds)[number];

export const allocationStatuses = ["proposed", "confirmed", "freed"] as const;

/** "HH:MM", 24-hour wall-clock time in the clinic's zone. */
export const wallTimeSchema = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "HH:MM (24-hour)");

export const breakSchema = z.strictObject({ start: wallTimeSchema, end: wallTimeSchema });

/**
 * When a rule repeats, RRULE-style: every `interval` days or weeks from `validFrom`, on `weekdays`
 * (1 = Monday … 7 = Sunday) for weekly rules. A single day is `validFrom = validUntil`.
 */
export const recurrenceSchema = z.strictObject({
  freq: z.enum(["daily", "weekly"]),
  interval: z.number().int().min(1).max(52).default(1),
  weekdays: z.array(z.number().int().min(1).max(7)).max(7).default([]),
});
export type Recurrence = z.infer<typeof recurrenceSchema>;

/** One working stretch of a template, relative to the template's first day. */
export const templateEntrySchema = z.strictObject({
  /** 0 for a day template; 0 (Monday) … 6 (Sunday) for a week template. */
  dayOffset: z.number().int().min(0).max(6),
  startTime: wallTimeSchema,
  endTime: wallTimeSchema,
  breaks: z.array(breakSchema).max(10).default([]),
  slotMinutes: z.number().int().min(5).max(480),
  bufferMinutes: z.number().int().min(0).max(120).default(0),
  serviceId: z.uuid().nullable().default(null),
  kind: z.enum(slotKinds).default("regular"),
  tags: z.array(z.string().min(1).max(40)).max(10).default([]),
});
export type TemplateEntry = z.infer<typeof templateEntrySchema>;

/** Booking rules are data: each kind has its own parameters; one function evaluates them all. */
export const bookingRuleSpecSchema = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("maxAppointmentsPerDay"), max: z.number().int().min(1).max(500) }),
  z.strictObject({ type: z.literal("minGapMinutes"), minutes: z.number().int().min(1).max(1440) }),
  z.strictObject({ type: z.literal("maxDaysInAdvance"), days: z.number().int().min(1).max(730) }),
  z.strictObject({ type: z.literal("sameDayCutoff"), time: wallTimeSchema }),
  z.strictObject({ type: z.literal("minNoticeMinutes"), minutes: z.number().int().min(0).max(10_080) }),
  z.strictObject({ type: z.literal("maxActiveBookingsPerPatient"), max: z.number().int().min(1).max(100) }),
]);
export type BookingRuleSpec = z.infer<typeof bookingRuleSpecSchema>;

/**
 * A hold whose time has passed — a held slot, or the pending appointment holding it — is free to
 * every reader, whether or not the hold-expiry job ran yet; the next booking takes it over. The SQL
 * forms: `lapsedSlotHoldSql` / `freeSlotSql` (server scheduling/slot.store.ts) and
 * `lapsedAppointmentHoldSql` (booking/appointment.views.ts).
 */
export function isLapsedHold(hold: { status: string; holdExpiresAt: Date | string | null }, now: number = Date.now()): boolean {
  return (hold.status === "held" || hold.status === "pending") && hold.holdExpiresAt !== null && new Date(hold.holdExpiresAt).getTime() <= now;
}
