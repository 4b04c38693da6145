/** Loyalty points (docs/loyalty.md): a patient's balance and ledger history. */
import { z } from "zod";

export const loyaltyEntryKinds = ["award", "redeem", "return"] as const;
export type LoyaltyEntryKind = (typeof loyaltyEntryKinds)[number];

export const loyaltyHistoryQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  /** `nextCursor` of the previous page; absent for the newest page. */
  cursor: z.string().regex(/^[0-9]+_[0-9a-f-]{36}$/, "a nextCursor value").optional(),
});
export type LoyaltyHistoryQuery = z.infer<typeof loyaltyHistoryQuerySchema>;

export const loyaltyEntrySchema = z.object({
  id: z.uuid(),
  kind: z.enum(loyaltyEntryKinds),
  /** Positive for awards and returns, negative for redemptions. */
  points: z.number().int(),
  clinicId: z.uuid(),
  appointmentId: z.uuid().nullable(),
  createdAt: z.iso.datetime(),
});
export type LoyaltyEntry = z.infer<typeof loyaltyEntrySchema>;

export const loyaltyAccountSchema = z.object({
  patientId: z.uuid(),
  /** Always the sum of every ledger entry of the patient, across clinics. */
  balance: z.number().int(),
  /** Newest first. */
  items: z.array(loyaltyEntrySchema),
  nextCursor: z.string().nullable(),
});
export type LoyaltyAccount = z.infer<typeof loyaltyAccountSchema>;
