import { z } from "zod";
import { notificationChannels } from "./directory";

/** POST /payments/appointments/:id/checkout: the Checkout URL of a pending paid hold. */
export const checkoutReplySchema = z.object({ checkoutUrl: z.url() });
export type CheckoutReply = z.infer<typeof checkoutReplySchema>;

/** POST /payments/appointments/:id/payment-link (staff): the Checkout URL, and the channels it went to the patient by. */
export const paymentLinkReplySchema = z.object({ checkoutUrl: z.url(), channels: z.array(z.enum(notificationChannels)) });

/** POST /payments/appointments/:id/refund: a staff refund (override of the clinic's policy). */
export const staffRefundRequestSchema = z.strictObject({
  /** Omitted: all the patient paid for the visit and has not had back. */
  amountMinor: z.number().int().min(1).optional(),
  reason: z.string().trim().min(3).max(500),
});
export type StaffRefundRequest = z.infer<typeof staffRefundRequestSchema>;

export const refundReplySchema = z.object({
  appointmentId: z.uuid(),
  /** The first Stripe refund made; `refundIds` has one per charge refunded (a moved visit may have two). */
  refundId: z.string().nullable(),
  refundIds: z.array(z.string()),
  amountMinor: z.number().int(),
  currency: z.string(),
  paymentStatus: z.enum(["refunded", "partially_refunded"]),
});
export type RefundReply = z.infer<typeof refundReplySchema>;

export const walletQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  /** `nextCursor` of the previous page; absent for the newest page. */
  cursor: z.string().regex(/^[0-9]+_[0-9a-f-]{36}$/, "a nextCursor value").optional(),
});

export const walletEntrySchema = z.object({
  id: z.uuid(),
  kind: z.enum(["credit", "debit", "payout"]),
  amountMinor: z.number().int(),
  currency: z.string(),
  appointmentId: z.uuid().nullable(),
  reference: z.string().nullable(),
  createdAt: z.iso.datetime(),
});

export const walletReplySchema = z.object({
  doctorId: z.uuid(),
  /** Per currency: credits − debits − payouts, always the ledger's sum. */
  balances: z.array(z.object({ currency: z.string(), balanceMinor: z.number().int() })),
  items: z.array(walletEntrySchema),
  nextCursor: z.string().nullable(),
});

export const payoutRequestSchema = z.strictObject({
  amountMinor: z.number().int().min(1),
  currency: z.string().regex(/^[A-Za-z]{3}$/).transform((c) => c.toUpperCase()),
  reference: z.string().trim().min(1).max(200),
});
