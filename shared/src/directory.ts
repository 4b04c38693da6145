import { z } from "zod";

export const subscriptionTiers = ["none", "freeTrial", "standard", "standardPlus", "vise"] as const;
export type SubscriptionTier = (typeof subscriptionTiers)[number];

export const employmentTypes = ["full_time", "part_time", "locum"] as const;
export type EmploymentType = (typeof employmentTypes)[number];
export const approvalStatuses = ["pending", "approved", "rejected"] as const;

export const notificationChannels = ["email", "sms", "push", "in_app"] as const;
export type NotificationChannel = (typeof notificationChannels)[number];
export const deliveryStatuses = ["queued", "sent", "delivered", "failed", "not_sent"] as const;

/** IANA zone names only: they are what turns wall-clock rules into instants. */
export const timeZoneSchema = z.string().refine((zone) => {
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
    return zone.includes("/") || zone === "UTC";
  } catch {
    return false;
  }
}, "an IANA time zone such as Europe/London");

export const clinicSettingsSchema = z.strictObject({
  /** Hours before start after which a patient may no longer cancel online. */
  patientCancelCutoffHours: z.number().int().min(0).max(720).default(24),
  /** Block online booking for patients who missed 3 of their last 5 appointments. */
  blockRepeatedNoShows: z.boolean().default(false),
  /** Minutes after a visit's end before a scheduled appointment never checked in counts as a probable no-show. */
  noShowGraceMinutes: z.number().int().min(0).max(1440).default(15),
  /** Mark such appointments `no_show` automatically instead of flagging them for staff. */
  autoMarkNoShow: z.boolean().default(false),
  /** Loyalty points a patient earns per completed visit (0: none). */
  loyaltyPointsPerVisit: z.number().int().min(0).max(10_000).default(10),
  /** Points a patient spends to make one booking at this clinic free (0: no redemption here; docs/loyalty.md). */
  loyaltyPointsPerFreeBooking: z.number().int().min(0).max(1_000_000).default(100),
  /** Alert the clinic admins when one doctor cancels more than this many appointments within an hour. */
  alertCancellationsPerHour: z.number().int().min(1).max(1000).default(5),
  // --- waiting queue (docs/queue.md)
  /** Minutes before an appointment's start from which its patient may check themself in (until its end). */
  checkInWindowMinutes: z.number().int().min(0).max(1440).default(30),
  /** After this many appointment patients a waiting walk-in goes first (0: walk-ins only when no appointment patient waits). */
  walkInInterleave: z.number().int().min(0).max(100).default(3),
  /** Tell a patient when their expected start moves by more than this many minutes since they were last told (docs/queue-eta.md). */
  etaSlipNotifyMinutes: z.number().int().min(1).max(240).default(15),
  // --- refunds (docs/payments.md)
  /** A paid appointment cancelled at least this many hours before its start is refunded in full. */
  fullRefundHours: z.number().int().min(0).max(720).default(24),
  /** Percent refunded when it is cancelled later than that (0: no refund). */
  lateCancelRefundPercent: z.number().int().min(0).max(100).default(0),
});
export type ClinicSettings = z.infer<typeof clinicSettingsSchema>;

export const reminderPreferencesSchema = z.strictObject({
  email: z.boolean().default(true),
  sms: z.boolean().default(false),
  push: z.boolean().default(false),
  inApp: z.boolean().default(true),
});
export type ReminderPreferences = z.infer<typeof reminderPreferencesSchema>;

export const doctorCredentialsSchema = z.strictObject({
  registrationBody: z.string().trim().min(2).max(120),
  registrationNumber: z.string().trim().min(2).max(64),
  qualifications: z.array(z.string().trim().min(2).max(200)).max(20).default([]),
  submittedAt: z.iso.datetime().optional(),
});
export type DoctorCredentials = z.infer<typeof doctorCredentialsSchema>;

/** What a doctor's credential document is, and the file types accepted (checked by their first bytes). */
export const doctorDocumentKinds = ["registration", "qualification", "identity", "other"] as const;
export type DoctorDocumentKind = (typeof doctorDocumentKinds)[number];
export const doctorDocumentTypes = ["application/pdf", "image/png", "image/jpeg"] as const;
export type DoctorDocumentType = (typeof doctorDocumentTypes)[number];
/** The largest document accepted, in bytes (5 MiB: a scanned certificate). */
export const DOCTOR_DOCUMENT_MAX_BYTES = 5 * 1024 * 1024;
/** Documents one doctor may keep at once. */
export const DOCTOR_DOCUMENT_LIMIT = 10;
