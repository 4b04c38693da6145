import { z } from "zod";

export const appointmentStatuses = [
  "pending",
  "scheduled",
  "checked_in",
  "in_consultation",
  "completed",
  "cancelled",
  "no_show",
  "expired",
] as const;
export type AppointmentStatus = (typeof appointmentStatuses)[number];

/** Statuses that still hold their slot; the partial unique index allows one per slot. */
export const liveAppointmentStatuses = ["pending", "scheduled", "checked_in", "in_consultation", "completed", "no_show"] as const;

/**
 * The appointment state machine, defined once: every status change anywhere goes through
 * `canTransition`; anything else is an illegal transition (409).
 */
export const appointmentTransitions: Record<AppointmentStatus, readonly AppointmentStatus[]> = {
  pending: ["scheduled", "cancelled", "expired"],
  scheduled: ["checked_in", "cancelled", "no_show", "completed"],
  checked_in: ["in_consultation", "cancelled", "no_show"],
  in_consultation: ["completed", "checked_in"],
  completed: [],
  cancelled: [],
  no_show: [],
  expired: [],
};

export function canTransition(from: AppointmentStatus, to: AppointmentStatus): boolean {
  return appointmentTransitions[from].includes(to);
}

/** `moved`: the payment was carried to the visit this one was rescheduled to (docs/payments.md). */
export const paymentStatuses = ["not_required", "unpaid", "paid", "refunded", "partially_refunded", "failed", "moved"] as const;
export type PaymentStatus = (typeof paymentStatuses)[number];

export const bookingNextSteps = ["confirm", "pay"] as const;
export const idempotencyKeySchema = z.string().min(8).max(128).regex(/^[\w.:-]+$/, "letters, digits, _ . : -");

/** The card processor's cut passed on to the patient of a paid booking: 2 % of the fee (docs/booking.md). */
export const TRANSACTION_FEE_RATE = 0.02;
