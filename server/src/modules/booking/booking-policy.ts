/**
 * Who may book what, for how much: subscription tiers, payment and the no-show standing
 * (docs/booking.md). Pure decisions plus the two reads they need.
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import { TRANSACTION_FEE_RATE, type PaymentStatus, type SubscriptionTier } from "@clinic/shared";
import { denied } from "../../platform/errors";
import { notify, type Notice } from "../notifications";
import type { Payment } from "./appointment.store";
import type { AppointmentRow } from "./appointment.views";
import { formatWhen } from "@clinic/shared";

/** The card processor's cut passed on to the patient (TRANSACTION_FEE_RATE), rounded half up to a minor unit. */
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
 * (else 403 VISE_RELATION_REQUIRED), whatever the service's payment flag; freeTrial / standard /
 * standardPlus → "pay", fee from the service price or else the doctor's consultation fee, unless
 * the service is paid at the clinic (`paymentRequired: false`: nothing online) or the booking
 * redeems loyalty points, which makes it free.
 */
export function priceBooking(input: PricingInput): Pricing {
  if (input.tier === "none") throw denied("SUBSCRIPTION_REQUIRED");
  if (input.tier === "vise" && !input.hasDoctorRelation) {
    throw denied("VISE_RELATION_REQUIRED");
  }
  const paid = input.tier !== "vise" && input.service?.paymentRequired !== false;
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

/** The appointment columns of a price: an unpaid booking owes its whole price online. */
export const paymentOf = (pricing: Pricing): Payment => ({
  payment_status: pricing.paymentStatus,
  fee_minor: pricing.feeMinor,
  transaction_fee_minor: pricing.transactionFeeMinor,
  currency: pricing.currency,
  amount_due_minor: pricing.paymentStatus === "unpaid" ? pricing.feeMinor + pricing.transactionFeeMinor : 0,
});

/** A booking's whole price: the fee plus the transaction fee. */
export const priceOf = (row: Pick<Payment, "fee_minor" | "transaction_fee_minor">) => row.fee_minor + row.transaction_fee_minor;

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

/**
 * The product owner's free booking flow ends with "send notification to doctor": a booking that
 * is free online (vise, loyalty points, paid at the clinic) tells its doctor when it is booked;
 * paid ones do when the payment arrives (payments.booking-paid). Outbox ids to dispatch.
 */
export async function tellDoctorOfFreeBooking(tx: EntityManager, row: Pick<AppointmentRow, "id" | "payment_status">): Promise<string[]> {
  if (row.payment_status !== "not_required") return [];
  const [facts] = await tx.execute<FreeBookingFacts[]>(`select ${freeBookingFactsSql("a")} from appointment a where a.id = ?`, [row.id]);
  return facts ? notify(tx, freeBookingNotice(row.id, facts)) : [];
}

/** What the doctor's free-booking notice says, read with the appointment (`freeBookingFactsSql`). */
export interface FreeBookingFacts {
  doctor_user_id: string;
  patient: string;
  clinic_id: string;
  clinic: string;
  time_zone: string;
  starts_at: Date | string;
  tier: string;
  points: boolean;
}

/** SQL: `FreeBookingFacts` columns of the appointment named `alias` (select-list expressions). */
export const freeBookingFactsSql = (alias: string) => `
  (select d.user_id from doctor d where d.id = ${alias}.doctor_id) as doctor_user_id,
  (select p.full_name from patient p where p.id = ${alias}.patient_id) as patient,
  ${alias}.clinic_id, (select c.name from clinic c where c.id = ${alias}.clinic_id) as clinic,
  (select c.time_zone from clinic c where c.id = ${alias}.clinic_id) as time_zone, ${alias}.starts_at,
  (select p.subscription_tier from patient p where p.id = ${alias}.patient_id) as tier,
  exists (select 1 from loyalty_points_entry e where e.appointment_id = ${alias}.id and e.kind = 'redeem') as points`;

export function freeBookingNotice(appointmentId: string, facts: FreeBookingFacts): Notice {
  const why = facts.tier === "vise" ? "free with the vise plan" : facts.points ? "paid with loyalty points" : "to be paid at the clinic";
  return {
    userId: facts.doctor_user_id,
    template: "booking.free-booked",
    clinicId: facts.clinic_id,
    key: `free-booked-${appointmentId}`,
    payload: { appointmentId, patient: facts.patient, when: formatWhen(new Date(facts.starts_at), facts.time_zone), clinic: facts.clinic, why },
  };
}

export const NO_SHOW_WARNING = "The patient missed 3 of their last 5 appointments";
