/** The booking module's HTTP contract: holds, confirmation, cancellation, rescheduling, lists. */
import { z } from "zod";
import { appointmentStatuses, bookingNextSteps, idempotencyKeySchema, paymentStatuses } from "./booking";

const isoInstant = z.iso.datetime();
const localDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "YYYY-MM-DD");

export const createAppointmentRequestSchema = z.strictObject({
  slotId: z.uuid(),
  /** Staff of the slot's clinic (or the platform admin) book for a patient; patients book for themselves. */
  patientId: z.uuid().optional(),
  serviceId: z.uuid().optional(),
});
export type CreateAppointmentRequest = z.infer<typeof createAppointmentRequestSchema>;

export const createAppointmentReplySchema = z.object({
  id: z.uuid(),
  status: z.enum(appointmentStatuses),
  slotId: z.uuid(),
  holdExpiresAt: isoInstant.nullable(),
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
  slotId: z.uuid(),
  patientId: z.uuid(),
  doctorId: z.uuid(),
  clinicId: z.uuid(),
  serviceId: z.uuid().nullable(),
  start: isoInstant,
  end: isoInstant,
  status: z.enum(appointmentStatuses),
  holdExpiresAt: isoInstant.nullable(),
  paymentStatus: z.enum(paymentStatuses),
  feeMinor: z.number().int(),
  transactionFeeMinor: z.number().int(),
  currency: z.string(),
  statusReason: z.string().nullable(),
  rescheduledFrom: z.uuid().nullable(),
  version: z.number().int(),
  createdAt: isoInstant,
});
export type AppointmentView = z.infer<typeof appointmentViewSchema>;

export const appointmentListSchema = z.object({ items: z.array(appointmentViewSchema) });

export const cancelAppointmentRequestSchema = z.strictObject({ reason: z.string().trim().min(1).max(500) });
export const rescheduleAppointmentRequestSchema = z.strictObject({ slotId: z.uuid() });
export const rescheduleAppointmentReplySchema = z.object({ previous: appointmentViewSchema, appointment: appointmentViewSchema });

export const appointmentStatusChangeTargets = ["completed", "no_show", "cancelled", "checked_in", "in_consultation"] as const;
export const changeAppointmentStatusRequestSchema = z.strictObject({
  status: z.enum(appointmentStatusChangeTargets),
  reason: z.string().trim().min(1).max(500).optional(),
});

export const myAppointmentsQuerySchema = z.strictObject({
  scope: z.literal("mine"),
  when: z.enum(["upcoming", "past"]).default("upcoming"),
});
export const dayQuerySchema = z.strictObject({ date: localDate });

export const appointmentHistorySchema = z.object({
  items: z.array(appointmentViewSchema),
  noShowCount: z.number().int(),
  missedOfLastFive: z.number().int(),
  warning: z.boolean(),
});
export type AppointmentHistory = z.infer<typeof appointmentHistorySchema>;

export const idempotencyHeadersSchema = z.object({ "idempotency-key": idempotencyKeySchema.optional() });
