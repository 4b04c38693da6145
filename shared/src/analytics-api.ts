/**
 * Clinic analytics (docs/analytics.md defines every figure): GET /clinics/:clinicId/analytics and
 * …/analytics/heatmap. Dates are the clinic's local days, both inclusive; money in minor units.
 */
import { z } from "zod";
import { localDateSchema } from "./calendar";

/** The longest range one request covers (a year and a day, for a leap year). */
export const ANALYTICS_MAX_DAYS = 367;

function checkRange(value: { from: string; to: string }, ctx: z.RefinementCtx) {
  if (value.to < value.from) ctx.addIssue({ code: "custom", path: ["to"], message: "the range ends before it starts" });
  else if ((Date.parse(value.to) - Date.parse(value.from)) / 86_400_000 >= ANALYTICS_MAX_DAYS) {
    ctx.addIssue({ code: "custom", path: ["to"], message: `at most ${ANALYTICS_MAX_DAYS} days` });
  }
}

export const analyticsQuerySchema = z.strictObject({ from: localDateSchema, to: localDateSchema, doctorId: z.uuid().optional() }).superRefine(checkRange);
export type AnalyticsQuery = z.infer<typeof analyticsQuerySchema>;

const minutes = z.number().nullable();

/** The ledger's charges and refunds of a scope's visits, in minor units (net = gross − refunds). */
const revenueSchema = z.object({ grossMinor: z.number().int(), refundsMinor: z.number().int(), netMinor: z.number().int(), currency: z.string() });

/** The figures of one scope (the clinic, or one doctor there) over the range. */
export const analyticsFiguresSchema = z.object({
  bookings: z.number().int(),
  completed: z.number().int(),
  cancelled: z.number().int(),
  noShows: z.number().int(),
  /** Over `bookings`; null when there were none. */
  cancellationRate: z.number().nullable(),
  noShowRate: z.number().nullable(),
  /** Booked minutes ÷ bookable minutes of regular slots; null when nothing was bookable. */
  occupancy: z.number().nullable(),
  waitMinutes: z.object({ avg: minutes, p50: minutes, p90: minutes }),
  consultationMinutes: z.object({ avg: minutes, p50: minutes }),
  leadTimeDays: z.object({ p50: z.number().nullable() }),
  revenue: revenueSchema,
  ratings: z.object({ average: z.number().nullable(), count: z.number().int() }),
});
export type AnalyticsFigures = z.infer<typeof analyticsFiguresSchema>;

export const analyticsDaySchema = z.object({
  date: localDateSchema,
  bookings: z.number().int(),
  completed: z.number().int(),
  cancelled: z.number().int(),
  noShows: z.number().int(),
  occupancy: z.number().nullable(),
  netMinor: z.number().int(),
});
export type AnalyticsDay = z.infer<typeof analyticsDaySchema>;

export const analyticsReplySchema = analyticsFiguresSchema.extend({
  from: localDateSchema,
  to: localDateSchema,
  timeZone: z.string(),
  perDoctor: z.array(analyticsFiguresSchema.extend({ doctorId: z.uuid(), doctorName: z.string() })),
  series: z.array(analyticsDaySchema),
});
export type AnalyticsReply = z.infer<typeof analyticsReplySchema>;

/** One weekday × hour of the clinic's week over the range (ISO weekday 1 = Monday; the clinic's zone). */
export const heatmapCellSchema = z.object({
  weekday: z.number().int().min(1).max(7),
  hour: z.number().int().min(0).max(23),
  bookableMinutes: z.number(),
  bookedMinutes: z.number(),
  occupancy: z.number().nullable(),
});
export const heatmapReplySchema = z.object({ timeZone: z.string(), cells: z.array(heatmapCellSchema) });
export type HeatmapReply = z.infer<typeof heatmapReplySchema>;

/** GET /analytics/platform (platform admins): the range's days are UTC days (clinics span zones). */
export const platformAnalyticsClinicSchema = z.object({
  clinicId: z.uuid(),
  name: z.string(),
  bookings: z.number().int(),
  completed: z.number().int(),
  cancelled: z.number().int(),
  noShows: z.number().int(),
  /** Distinct patients with a visit in the range. */
  activePatients: z.number().int(),
  /** Approved doctors working there now. */
  doctors: z.number().int(),
  revenue: revenueSchema,
});
export const platformAnalyticsReplySchema = z.object({
  from: localDateSchema,
  to: localDateSchema,
  clinics: z.array(platformAnalyticsClinicSchema),
  totals: z.object({
    bookings: z.number().int(),
    activePatients: z.number().int(),
    /** Patient and doctor accounts created in the range. */
    newPatients: z.number().int(),
    newDoctors: z.number().int(),
  }),
});
export type PlatformAnalyticsReply = z.infer<typeof platformAnalyticsReplySchema>;
export const platformAnalyticsQuerySchema = z.strictObject({ from: localDateSchema, to: localDateSchema }).superRefine(checkRange);
export type PlatformAnalyticsQuery = z.infer<typeof platformAnalyticsQuerySchema>;

/** `analytics.changed` on `analytics:{clinicId}`: a committed change touched these local days' figures. */
export const analyticsChangedSchema = z.object({ clinicId: z.uuid(), days: z.array(localDateSchema) });
export type AnalyticsChanged = z.infer<typeof analyticsChangedSchema>;

/** The subscribe ack's snapshot of `analytics:{clinicId}`: the figures are read over HTTP; this says which clinic and when. */
export const analyticsSnapshotSchema = z.object({ clinicId: z.uuid(), asOf: z.iso.datetime() });
