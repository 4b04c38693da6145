/** The booking module's HTTP contract: holds, confirmation, cancellation, rescheduling, lists. */
import { z } from "zod";
import { instantSchema, localDateSchema } from "./calendar";
import { appointmentStatuses, bookingNextSteps, idempotencyKeySchema, paymentStatuses } from "./booking";


/** A place in an elastic block, as `GET /slots?serviceId=` offered it: the block and the offered start. */
export const elasticOfferRequestSchema = z.strictObject({ blockId: z.uuid(), start: instantSchema });

/** What to book: a slot by id, or an elastic offer (sized by `serviceId`). Exactly one. */
function exactlyOneTarget(value: { slotId?: string | undefined; elastic?: unknown; serviceId?: string | undefined }, ctx: z.RefinementCtx) {
  if (value.slotId !== undefined && value.elastic !== undefined) {
    ctx.addIssue({ code: "custom", path: ["elastic"], message: "give either slotId or elastic, not both" });
  } else if (value.slotId === undefined && value.elastic === undefined) {
    ctx.addIssue({ code: "custom", path: ["slotId"], message: "slotId or elastic is required" });
  } else if (value.elastic !== undefined && value.serviceId === undefined) {
    ctx.addIssue({ code: "custom", path: ["serviceId"], message: "an elastic offer is sized by its service: serviceId is required" });
  }
}

export const createAppointmentRequestSchema = z
  .strictObject({
    slotId: z.uuid().optional(),
    elastic: elasticOfferRequestSchema.optional(),
    /** Staff of the slot's clinic (or the platform admin) book for a patient; patients book for themselves. */
    patientId: z.uuid().optional(),
    serviceId: z.uuid().optional(),
    /** Spend the clinic's `loyaltyPointsPerFreeBooking` to make a paid booking free (docs/loyalty.md). */
    redeemPoints: z.boolean().optional(),
  })
  .superRefine(exactlyOneTarget);
export type CreateAppointmentRequest = z.infer<typeof createAppointmentRequestSchema>;

export const createAppointmentReplySchema = z.object({
  id: z.uuid(),
  status: z.enum(appointmentStatuses),
  /** Null for a booking in an elastic block (then `elasticAllocationId` is set). */
  slotId: z.uuid().nullable(),
  elasticAllocationId: z.uuid().nullable(),
  start: instantSchema,
  end: instantSchema,
  holdExpiresAt: instantSchema.nullable(),
  next: z.enum(bookingNextSteps),
  checkoutUrl: z.string().nullable(),
  paymentStatus: z.enum(paymentStatuses),
  feeMinor: z.number().int(),
  transactionFeeMinor: z.number().int(),
  currency: z.string(),
  /** Set when the patient missed 3 of their last 5 appointments. */
  warning: z.string().nullable(),
});
export type CreateAppointmentReply = z.infer<typeof createAppointmentReplySchema>;

export const appointmentViewSchema = z.object({
  id: z.uuid(),
  slotId: z.uuid().nullable(),
  /** Set instead of `slotId` for a booking in an elastic block; `start`/`end` follow the block's packing. */
  elasticAllocationId: z.uuid().nullable(),
  patientId: z.uuid(),
  doctorId: z.uuid(),
  clinicId: z.uuid(),
  serviceId: z.uuid().nullable(),
  start: instantSchema,
  end: instantSchema,
  status: z.enum(appointmentStatuses),
  holdExpiresAt: instantSchema.nullable(),
  paymentStatus: z.enum(paymentStatuses),
  feeMinor: z.number().int(),
  transactionFeeMinor: z.number().int(),
  currency: z.string(),
  /** What the patient still has to pay online: a hold's price, or the difference a paid visit's move costs; else 0. */
  amountDueMinor: z.number().int(),
  statusReason: z.string().nullable(),
  rescheduledFrom: z.uuid().nullable(),
  /** A pending move of a paid visit: the visit this hold replaces once the difference is paid (that visit stays booked until then). */
  pendingMoveFrom: z.uuid().nullable(),
  /** Set by the lifecycle job when a scheduled visit ended without a check-in (staff decide). */
  probableNoShowAt: instantSchema.nullable(),
  /** Today's live estimate of when the visit starts (the queue's ETA job; docs/queue-eta.md), or null. */
  expectedStartAt: instantSchema.nullable(),
  version: z.number().int(),
  createdAt: instantSchema,
});
export type AppointmentView = z.infer<typeof appointmentViewSchema>;

export const appointmentListSchema = z.object({ items: z.array(appointmentViewSchema) });

export const cancelAppointmentRequestSchema = z.strictObject({ reason: z.string().trim().min(1).max(500) });
/** The new place: a slot, or an elastic offer (sized by the appointment's service). Exactly one. */
export const rescheduleAppointmentRequestSchema = z
  .strictObject({ slotId: z.uuid().optional(), elastic: elasticOfferRequestSchema.optional() })
  .superRefine((value, ctx) => exactlyOneTarget({ ...value, serviceId: "" }, ctx));
export type RescheduleTarget = z.infer<typeof rescheduleAppointmentRequestSchema>;
/**
 * `previous` is cancelled ("rescheduled") once the move is done; when `next` is "pay" the new appointment is a hold
 * that completes the move when paid (`checkoutUrl`; null when the provider could not be reached: retry through
 * POST /payments/appointments/:id/checkout) and `previous` stays as it is until then.
 */
export const rescheduleAppointmentReplySchema = z.object({
  previous: appointmentViewSchema,
  appointment: appointmentViewSchema,
  next: z.enum(bookingNextSteps).nullable(),
  checkoutUrl: z.string().nullable(),
});
export type RescheduleAppointmentReply = z.infer<typeof rescheduleAppointmentReplySchema>;

export const appointmentStatusChangeTargets = ["completed", "no_show", "cancelled", "checked_in", "in_consultation"] as const;
/** A no-show or a cancellation is recorded with its reason (the patient's record shows it; a cancellation tells the patient). */
export const changeAppointmentStatusRequestSchema = z
  .strictObject({
    status: z.enum(appointmentStatusChangeTargets),
    reason: z.string().trim().min(1).max(500).optional(),
  })
  .superRefine((value, ctx) => {
    if ((value.status === "no_show" || value.status === "cancelled") && value.reason === undefined) {
      ctx.addIssue({ code: "custom", path: ["reason"], message: `a reason is required to mark ${value.status === "no_show" ? "a no-show" : "a cancellation"}` });
    }
  });

export const myAppointmentsQuerySchema = z.strictObject({
  scope: z.literal("mine"),
  when: z.enum(["upcoming", "past"]).default("upcoming"),
});
export const dayQuerySchema = z.strictObject({ date: localDateSchema });
/** GET /doctors/:doctorId/day/patients?date=: who the day's appointments are with (names for the doctor's timeline). */
export const dayPatientSchema = z.object({ patientId: z.uuid(), fullName: z.string() });
export type DayPatient = z.infer<typeof dayPatientSchema>;
export const dayPatientListSchema = z.object({ items: z.array(dayPatientSchema) });

export const appointmentHistorySchema = z.object({
  items: z.array(appointmentViewSchema),
  noShowCount: z.number().int(),
  missedOfLastFive: z.number().int(),
  warning: z.boolean(),
});
export type AppointmentHistory = z.infer<typeof appointmentHistorySchema>;

export const idempotencyHeadersSchema = z.object({ "idempotency-key": idempotencyKeySchema.optional() });
