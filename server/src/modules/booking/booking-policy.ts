/**
 * Who may book what, for how much: subscription tiers, payment and the no-show standing
 * (docs/booking.md). Pure decisions plus the two reads they need.
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import type { PaymentStatus, SubscriptionTier } from "@clinic/shared";
import { DomainError } from "../../platform/problem";

/** The card processor's cut passed on to the patient: 2 % of the fee, rounded half up to a minor unit. */
export const TRANSACTION_FEE_RATE = 0.02;
export const transactionFeeOf = (feeMinor: number) => Math.round(feeMinor * TRANSACTION_FEE_RATE);

export interface PricingInput {
  tier: SubscriptionTier;
  hasDoctorRelation: boolean;
  service: { priceMinor: number; currency: string; paymentRequired: boolean } | null;
  doctorFeeMinor: number;
  /** Loyalty points the patient spends to make a paid booking free (0: none; docs/loyalty.md). */
  redeemPoints?: number;
}

export interface Pricing {
  next: "confirm" | "pay";
  paymentStatus: PaymentStatus;
  feeMinor: number;
  transactionFeeMinor: number;
  currency: string;
  /** Points spent on this booking: only a booking that would be paid spends any. */
  pointsRedeemed: number;
}

/**
 * none → 403 SUBSCRIPTION_REQUIRED; vise → free, but only with a doctor it has a relation with
 * (else 403 VISE_RELATION_REQUIRED); freeTrial / standard / standardPlus, or any service that
 * requires payment → "pay", fee from the service price or else the doctor's consultation fee;
 * unless it redeems loyalty points, which makes it free.
 */
export function priceBooking(input: PricingInput): Pricing {
  if (input.tier === "none") throw new DomainError(403, "SUBSCRIPTION_REQUIRED", "subscribe to book");
  if (input.tier === "vise" && !input.hasDoctorRelation) {
    throw new DomainError(403, "VISE_RELATION_REQUIRED", "The vise tier books only with a doctor the patient has a relation with");
  }
  const paid = input.tier !== "vise" || input.service?.paymentRequired === true;
  const points = paid ? (input.redeemPoints ?? 0) : 0;
  if (!paid || points > 0) {
    return { next: "confirm", paymentStatus: "not_required", feeMinor: 0, transactionFeeMinor: 0, currency: input.service?.currency ?? "GBP", pointsRedeemed: points };
  }
  const feeMinor = input.service ? input.service.priceMinor : input.doctorFeeMinor;
  return {
    next: "pay",
    paymentStatus: "unpaid",
    feeMinor,
    transactionFeeMinor: transactionFeeOf(feeMinor),
    currency: input.service?.currency ?? "GBP",
    pointsRedeemed: 0,
  };
}

/** Appointments that count towards the no-show standing: past ones that were kept or missed. */
const ATTENDED_OR_MISSED = `('scheduled','checked_in','in_consultation','completed','no_show')`;

export interface NoShowStanding {
  noShowCount: number;
  missedOfLastFive: number;
  warning: boolean;
}

/** SQL: how many of the last 5 kept-or-missed past appointments of `patient` (a column or `?`) were missed. */
export const missedOfLastFiveSql = (patient: string) =>
  `(select count(*)::int from (select status from appointment
     where patient_id = ${patient} and starts_at < now() and status in ${ATTENDED_OR_MISSED}
     order by starts_at desc limit 5) last where status = 'no_show')`;

export const standingOf = (missedOfLastFive: number) => ({ missedOfLastFive, warning: missedOfLastFive >= 3 });

export async function noShowStanding(em: EntityManager, patientId: string): Promise<NoShowStanding> {
  const [row] = await em.execute<{ total: number; last_five: number }[]>(
    `select (select count(*)::int from appointment where patient_id = ? and status = 'no_show') as total, ${missedOfLastFiveSql("?")} as last_five`,
    [patientId, patientId],
  );
  return { noShowCount: row?.total ?? 0, ...standingOf(row?.last_five ?? 0) };
}

export const NO_SHOW_WARNING = "The patient missed 3 of their last 5 appointments";
