/**
 * Request and reply shapes of availability search, suggestions, booking rules and elastic blocks.
 * Bodies are strict: an unknown field is a 400 naming it.
 */
import { z } from "zod";
import { instantSchema, localDateSchema, offsetInstantSchema } from "./calendar";
import { bookingRuleSpecSchema, slotKinds, slotStatuses, wallTimeSchema } from "./scheduling";


// ---------------------------------------------------------------- search cursor

const searchCursorSchema = z.tuple([instantSchema, z.uuid()]);

// Hex of ASCII JSON: opaque to clients, no platform base64 needed (shared has no DOM or Node types).
const toHex = (text: string) => [...text].map((ch) => ch.charCodeAt(0).toString(16).padStart(2, "0")).join("");
function fromHex(text: string): string | null {
  if (!/^(?:[0-9a-f]{2})+$/.test(text)) return null;
  return text.replace(/../g, (pair) => String.fromCharCode(parseInt(pair, 16)));
}

/** The opaque availability-search cursor: hex of the last item's (start, id). */
export function encodeSlotCursor(start: Date, id: string): string {
  return toHex(JSON.stringify([start.toISOString(), id]));
}

/** The (start, id) a cursor stands for, or null when it is not one this server made. */
export function decodeSlotCursor(cursor: string): { start: Date; id: string } | null {
  try {
    const text = fromHex(cursor);
    if (text === null) return null;
    const [start, id] = searchCursorSchema.parse(JSON.parse(text));
    return { start: new Date(start), id };
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------- availability search

/** Comma-separated statuses in a query string ("available,held"). */
const statusList = z
  .string()
  .transform((text) => text.split(",").map((part) => part.trim()).filter(Boolean))
  .pipe(z.array(z.enum(slotStatuses)).min(1).max(slotStatuses.length));

export const MAX_SEARCH_DAYS = 92;

export const slotSearchQuerySchema = z
  .strictObject({
    doctorId: z.uuid().optional(),
    clinicId: z.uuid().optional(),
    /** Start of the window (inclusive); default now. */
    from: offsetInstantSchema.optional(),
    /** End of the window (exclusive): slots that start before it; default `from` + 7 days; at most 92 days after `from`. */
    to: offsetInstantSchema.optional(),
    /** Staff views only (schedule.internal.read): effective statuses; a lapsed hold counts as `available`. Default `available`. */
    status: statusList.optional(),
    /** A specialty id or its name (case-insensitive). */
    specialty: z.string().trim().min(1).max(100).optional(),
    /** Only slots of this service; elastic offers are sized to its duration. */
    serviceId: z.uuid().optional(),
    /** A language the doctor consults in (case-insensitive). */
    language: z.string().trim().min(2).max(35).optional(),
    /** Slots starting at or after this wall-clock time in the clinic's zone. */
    timeFrom: wallTimeSchema.optional(),
    /** Slots starting before this wall-clock time in the clinic's zone. */
    timeTo: wallTimeSchema.optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
    /** Opaque: the `nextCursor` of the previous page. */
    cursor: z
      .string()
      .min(1)
      .max(500)
      .refine((cursor) => decodeSlotCursor(cursor) !== null, "not a cursor from a previous page")
      .optional(),
  })
  .refine((q) => q.from === undefined || q.to === undefined || Date.parse(q.to) > Date.parse(q.from), {
    message: "must be after from",
    path: ["to"],
  })
  .refine(
    (q) =>
      q.from === undefined || q.to === undefined || Date.parse(q.to) - Date.parse(q.from) <= MAX_SEARCH_DAYS * 86_400_000,
    { message: `at most ${MAX_SEARCH_DAYS} days after from`, path: ["to"] },
  )
  .refine((q) => q.timeFrom === undefined || q.timeTo === undefined || q.timeFrom < q.timeTo, {
    message: "must be after timeFrom",
    path: ["timeTo"],
  });
export type SlotSearchQuery = z.infer<typeof slotSearchQuerySchema>;

export const slotSearchItemSchema = z.object({
  /** `slot`: a materialised slot (book it by id); `elastic`: a place in an elastic block (allocate it). */
  type: z.enum(["slot", "elastic"]),
  /** The slot id, or the block id for elastic offers. */
  id: z.uuid(),
  doctorId: z.uuid(),
  clinicId: z.uuid(),
  start: offsetInstantSchema,
  end: offsetInstantSchema,
  /** Effective status: a held slot whose hold has lapsed is `available`. */
  status: z.enum(slotStatuses),
  kind: z.enum(slotKinds),
  serviceId: z.uuid().nullable(),
  version: z.number().int(),
  /** Only for live holds (staff views). */
  holdExpiresAt: offsetInstantSchema.optional(),
  /** Elastic offers: the block to allocate in and the position to ask for. */
  blockId: z.uuid().optional(),
  position: z.number().int().optional(),
  /** Staff views only. */
  tags: z.array(z.string()).optional(),
  note: z.string().nullable().optional(),
});
export type SlotSearchItem = z.infer<typeof slotSearchItemSchema>;

export const slotSearchPageSchema = z.object({ items: z.array(slotSearchItemSchema), nextCursor: z.string().nullable() });
export type SlotSearchPage = z.infer<typeof slotSearchPageSchema>;

// ---------------------------------------------------------------- suggestions

export const slotSuggestionsQuerySchema = z.strictObject({
  /** A specialty id or its name (case-insensitive). */
  specialty: z.string().trim().min(1).max(100),
  serviceId: z.uuid().optional(),
  /** Suggest times like this patient's past bookings (the patient, their doctors, their clinics' staff). */
  patientId: z.uuid().optional(),
});
export type SlotSuggestionsQuery = z.infer<typeof slotSuggestionsQuerySchema>;

export const slotSuggestionsSchema = z.object({
  /** The first free slot of each listed doctor of the specialty, earliest first. */
  earliestFit: z.array(slotSearchItemSchema),
  /** Free slots in the next 14 days at the local hours the patient booked before; empty without patientId. */
  preferredTimes: z.array(slotSearchItemSchema),
  /** The doctor of the specialty with the most free minutes in the next 7 days, or null. */
  leastLoadedDoctor: z.object({ doctorId: z.uuid(), displayName: z.string(), freeMinutes: z.number().int() }).nullable(),
});
export type SlotSuggestions = z.infer<typeof slotSuggestionsSchema>;

export const underusedQuerySchema = z
  .strictObject({
    from: localDateSchema,
    to: localDateSchema,
    /** `hour` (default) or `day`. */
    by: z.enum(["hour", "day"]).default("hour"),
  })
  .refine((q) => q.to >= q.from, { message: "must not be before from", path: ["to"] })
  .refine((q) => Date.parse(q.to) - Date.parse(q.from) <= MAX_SEARCH_DAYS * 86_400_000, {
    message: `at most ${MAX_SEARCH_DAYS} days after from`,
    path: ["to"],
  });
export type UnderusedQuery = z.infer<typeof underusedQuerySchema>;

export const underusedBlockSchema = z.object({
  doctorId: z.uuid(),
  /** Local calendar day in the clinic's zone. */
  date: z.string(),
  /** Local hour (0–23) for `by=hour`; null for `by=day`. */
  hour: z.number().int().nullable(),
  slots: z.number().int(),
  booked: z.number().int(),
  bookedRatio: z.number(),
});
export const underusedBlockListSchema = z.object({ items: z.array(underusedBlockSchema) });

// ---------------------------------------------------------------- booking rules

export const bookingRuleSchema = z.object({
  id: z.uuid(),
  clinicId: z.uuid(),
  /** Null: every doctor of the clinic. */
  doctorId: z.uuid().nullable(),
  /** Null: every service. */
  serviceId: z.uuid().nullable(),
  spec: bookingRuleSpecSchema,
  active: z.boolean(),
  createdAt: offsetInstantSchema,
});
export type BookingRuleView = z.infer<typeof bookingRuleSchema>;
export const bookingRuleListSchema = z.object({ items: z.array(bookingRuleSchema) });

export const createBookingRuleRequestSchema = z.strictObject({
  doctorId: z.uuid().nullable().optional(),
  serviceId: z.uuid().nullable().optional(),
  spec: bookingRuleSpecSchema,
  active: z.boolean().optional(),
});
export type CreateBookingRuleRequest = z.infer<typeof createBookingRuleRequestSchema>;

export const updateBookingRuleRequestSchema = z.strictObject({
  doctorId: z.uuid().nullable().optional(),
  serviceId: z.uuid().nullable().optional(),
  spec: bookingRuleSpecSchema.optional(),
  active: z.boolean().optional(),
});
export type UpdateBookingRuleRequest = z.infer<typeof updateBookingRuleRequestSchema>;

export const bookingRuleCheckRequestSchema = z.strictObject({
  slotId: z.uuid(),
  /** The patient's active bookings; when absent, maxActiveBookingsPerPatient is not checked. */
  patientActiveBookings: z.number().int().min(0).max(10_000).optional(),
});
export type BookingRuleCheckRequest = z.infer<typeof bookingRuleCheckRequestSchema>;

export const bookingRuleTypes = [
  "maxAppointmentsPerDay",
  "minGapMinutes",
  "maxDaysInAdvance",
  "sameDayCutoff",
  "minNoticeMinutes",
  "maxActiveBookingsPerPatient",
] as const;

export const ruleViolationSchema = z.object({
  ruleId: z.uuid(),
  type: z.enum(bookingRuleTypes),
  reason: z.string(),
});
export type RuleViolation = z.infer<typeof ruleViolationSchema>;
export const bookingRuleCheckReplySchema = z.object({ violations: z.array(ruleViolationSchema) });

// ---------------------------------------------------------------- elastic blocks

export const createElasticBlockRequestSchema = z
  .strictObject({
    clinicId: z.uuid(),
    startsAt: offsetInstantSchema,
    endsAt: offsetInstantSchema,
    /** Minutes that allocations may fill; default (and at most) the block's length. */
    capacityMinutes: z.number().int().min(5).max(1440).optional(),
    note: z.string().trim().min(1).max(2000).optional(),
  })
  .refine((b) => Date.parse(b.endsAt) > Date.parse(b.startsAt), { message: "must be after startsAt", path: ["endsAt"] })
  .refine((b) => Date.parse(b.endsAt) - Date.parse(b.startsAt) <= 86_400_000, {
    message: "a block lasts at most 24 hours",
    path: ["endsAt"],
  });
export type CreateElasticBlockRequest = z.infer<typeof createElasticBlockRequestSchema>;

export const elasticAllocationSchema = z.object({
  id: z.uuid(),
  blockId: z.uuid(),
  serviceId: z.uuid().nullable(),
  patientId: z.uuid().nullable(),
  durationMinutes: z.number().int(),
  /** Order in the block; -1 for a freed allocation whose gap has been refilled. */
  position: z.number().int(),
  expectedStartAt: offsetInstantSchema,
  status: z.enum(["proposed", "confirmed", "freed"]),
});
export type ElasticAllocationView = z.infer<typeof elasticAllocationSchema>;

export const elasticBlockSchema = z.object({
  id: z.uuid(),
  doctorId: z.uuid(),
  clinicId: z.uuid(),
  startsAt: offsetInstantSchema,
  endsAt: offsetInstantSchema,
  capacityMinutes: z.number().int(),
  /** Minutes taken by proposed and confirmed allocations. */
  usedMinutes: z.number().int(),
  note: z.string().nullable(),
  version: z.number().int(),
  allocations: z.array(elasticAllocationSchema),
});
export type ElasticBlockView = z.infer<typeof elasticBlockSchema>;

/** Either a service (its duration) or a number of minutes. */
const lengthFields = {
  serviceId: z.uuid().optional(),
  minutes: z.coerce.number().int().min(1).max(1440).optional(),
};
const oneLength = (q: { serviceId?: string; minutes?: number }) => (q.serviceId === undefined) !== (q.minutes === undefined);

export const elasticOffersQuerySchema = z
  .strictObject(lengthFields)
  .refine(oneLength, { message: "give exactly one of serviceId and minutes", path: ["minutes"] });

export const elasticOfferSchema = z.object({
  start: offsetInstantSchema,
  end: offsetInstantSchema,
  /** Pass it as `position` when allocating to take this place. */
  position: z.number().int(),
  /** `end`: appended after the last allocation; `gap`: the place of a freed allocation. */
  kind: z.enum(["end", "gap"]),
});
export const elasticOfferListSchema = z.object({ minutes: z.number().int(), items: z.array(elasticOfferSchema) });

export const createAllocationRequestSchema = z
  .strictObject({
    ...lengthFields,
    minutes: z.number().int().min(1).max(1440).optional(),
    patientId: z.uuid().optional(),
    /** Where to insert (an offer's position); default: at the end. */
    position: z.number().int().min(0).max(1000).optional(),
  })
  .refine(oneLength, { message: "give exactly one of serviceId and minutes", path: ["minutes"] });
export type CreateAllocationRequest = z.infer<typeof createAllocationRequestSchema>;

export const moveAllocationRequestSchema = z.strictObject({ position: z.number().int().min(0).max(1000) });
export const resizeAllocationRequestSchema = z.strictObject({ minutes: z.number().int().min(1).max(1440) });

/** An allocation change answers with the allocation and the whole re-packed block. */
export const allocationReplySchema = z.object({ allocation: elasticAllocationSchema, block: elasticBlockSchema });
export type AllocationReply = z.infer<typeof allocationReplySchema>;
