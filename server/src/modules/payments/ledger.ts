/**
 * The money of a visit (docs/payments.md "Money follows the visit"): its charges and refunds in
 * `payment_transaction` and the doctor's share in `wallet_entry`, keyed by the appointment they pay
 * for now. A reschedule re-points them to the new appointment, so one payment follows the visit
 * however often it moves; a refund is split over the visit's charges, newest first.
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import { prepared, runPrepared } from "../../platform/prepared";
import { lockWallet, walletBalance } from "./wallet";

export type ChargeCause = "booking" | "top_up";
export type RefundCause = "policy" | "staff" | "provider" | "slot_taken" | "reschedule" | "move_lapsed";

/** Refunds that answer the visit's cancellation or a person's decision: a visit has at most one. */
const CANCEL_REFUNDS = `('policy', 'staff', 'provider')`;

export interface Charge {
  id: string;
  amountMinor: number;
  /** Returned of this charge so far. */
  refundedMinor: number;
  currency: string;
  /** The PaymentIntent. */
  paymentIntent: string | null;
}

export interface VisitMoney {
  /** Newest first: the order refunds take them in. */
  charges: Charge[];
  chargedMinor: number;
  refundedMinor: number;
  /** What the patient paid for the visit and has not had back. */
  netMinor: number;
  /** A cancel, staff or provider refund was made: the visit's one refund of that kind. */
  hasCancelRefund: boolean;
}

/** $1 the appointment: its charges, newest first, with what each has had refunded. */
const VISIT_CHARGES = prepared<{ id: string; amount_minor: number; currency: string; provider_ref: string | null; refunded_minor: number; cancel_refund: boolean }>(
  "payments_visit_charges",
  `select c.id, c.amount_minor, c.currency, c.provider_ref,
          coalesce((select sum(r.amount_minor) from payment_transaction r where r.charge_id = c.id), 0)::int as refunded_minor,
          exists (select 1 from payment_transaction r where r.appointment_id = c.appointment_id and r.kind = 'refund' and r.cause in ${CANCEL_REFUNDS}) as cancel_refund
     from payment_transaction c where c.appointment_id = $1 and c.kind = 'charge' order by c.created_at desc, c.id desc`,
);

export async function visitMoney(tx: EntityManager, appointmentId: string): Promise<VisitMoney> {
  const rows = await runPrepared(tx, VISIT_CHARGES, [appointmentId]);
  const charges = rows.map((r) => ({ id: r.id, amountMinor: r.amount_minor, refundedMinor: r.refunded_minor, currency: r.currency, paymentIntent: r.provider_ref }));
  const chargedMinor = charges.reduce((sum, c) => sum + c.amountMinor, 0);
  const refundedMinor = charges.reduce((sum, c) => sum + c.refundedMinor, 0);
  return { charges, chargedMinor, refundedMinor, netMinor: chargedMinor - refundedMinor, hasCancelRefund: rows[0]?.cancel_refund ?? false };
}

/** Records a charge of a Checkout Session; null when that session's charge is recorded already. */
export async function recordCharge(
  tx: EntityManager,
  charge: { appointmentId: string; amountMinor: number; currency: string; paymentIntent: string | null; sessionId: string; cause: ChargeCause },
): Promise<string | null> {
  const [row] = await tx.execute<{ id: string }[]>(
    `insert into payment_transaction (appointment_id, kind, cause, amount_minor, currency, provider_ref, session_id) values (?, 'charge', ?, ?, ?, ?, ?)
     on conflict do nothing returning id`,
    [charge.appointmentId, charge.cause, charge.amountMinor, charge.currency, charge.paymentIntent, charge.sessionId],
  );
  return row?.id ?? null;
}

/** The doctor's share of a charge (the consultation fee; the transaction fee is the platform's). */
export async function creditDoctor(tx: EntityManager, credit: { doctorId: string; appointmentId: string; amountMinor: number; currency: string; transactionId: string }): Promise<void> {
  if (credit.amountMinor <= 0) return;
  await tx.execute(
    `insert into wallet_entry (doctor_id, kind, amount_minor, currency, appointment_id, transaction_id) values (?, 'credit', ?, ?, ?, ?) on conflict do nothing`,
    [credit.doctorId, credit.amountMinor, credit.currency, credit.appointmentId, credit.transactionId],
  );
}

/** What the visit's doctor holds of it: credits − debits on the appointment in that doctor's wallet. */
async function doctorShare(tx: EntityManager, appointmentId: string, doctorId: string): Promise<{ netMinor: number; currency: string | null }> {
  const [row] = await tx.execute<{ net: string | null; currency: string | null }[]>(
    `select sum(case kind when 'credit' then amount_minor else -amount_minor end) as net, min(currency) as currency
       from wallet_entry where appointment_id = ? and doctor_id = ? and kind in ('credit', 'debit')`,
    [appointmentId, doctorId],
  );
  return { netMinor: Number(row?.net ?? 0), currency: row?.currency ?? null };
}

/** A debit of at most the wallet's balance (after a payout the shortfall is the platform's, never a negative balance). */
async function debitDoctor(tx: EntityManager, debit: { doctorId: string; appointmentId: string; amountMinor: number; currency: string; transactionId: string | null; reference?: string }): Promise<number> {
  await lockWallet(tx, debit.doctorId);
  const amount = Math.min(debit.amountMinor, Math.max(0, await walletBalance(tx, debit.doctorId, debit.currency)));
  if (amount <= 0) return 0;
  await tx.execute(
    `insert into wallet_entry (doctor_id, kind, amount_minor, currency, appointment_id, transaction_id, reference) values (?, 'debit', ?, ?, ?, ?, ?) on conflict do nothing`,
    [debit.doctorId, amount, debit.currency, debit.appointmentId, debit.transactionId, debit.reference ?? null],
  );
  return amount;
}

/**
 * Records a refund made at Stripe against one charge of a visit, and debits the doctor the same
 * share of it as they hold of what the patient paid. False: this refund was recorded already.
 */
export async function recordRefund(
  tx: EntityManager,
  refund: { appointmentId: string; doctorId: string; chargeId: string; amountMinor: number; currency: string; refundId: string | null; cause: RefundCause },
): Promise<boolean> {
  const before = await visitMoney(tx, refund.appointmentId);
  const [inserted] = await tx.execute<{ id: string }[]>(
    `insert into payment_transaction (appointment_id, kind, cause, amount_minor, currency, provider_ref, charge_id) values (?, 'refund', ?, ?, ?, ?, ?)
     on conflict do nothing returning id`,
    [refund.appointmentId, refund.cause, refund.amountMinor, refund.currency, refund.refundId, refund.chargeId],
  );
  if (!inserted) return false;
  const share = await doctorShare(tx, refund.appointmentId, refund.doctorId);
  if (share.netMinor > 0 && before.netMinor > 0) {
    const proportional = Math.min(share.netMinor, Math.round((share.netMinor * refund.amountMinor) / before.netMinor));
    await debitDoctor(tx, { doctorId: refund.doctorId, appointmentId: refund.appointmentId, amountMinor: proportional, currency: share.currency ?? refund.currency, transactionId: inserted.id });
  }
  return true;
}

/** After a cancel, staff or provider refund: the visit's payment status from what is left of it. */
export async function settleRefundedStatus(tx: EntityManager, appointmentId: string): Promise<"refunded" | "partially_refunded"> {
  const { netMinor } = await visitMoney(tx, appointmentId);
  const status = netMinor <= 0 ? "refunded" : "partially_refunded";
  await tx.execute(`update appointment set payment_status = ?, amount_due_minor = 0, updated_at = now() where id = ?`, [status, appointmentId]);
  return status;
}

/**
 * A paid visit moved: its charges, refunds and the doctor's share now belong to the new appointment,
 * which takes over its payment status; the old one is `moved`. With the same doctor the wallet
 * entries are re-pointed (nothing reversed and credited again); with another doctor the share moves
 * from one wallet to the other as a debit and a credit.
 */
export async function moveVisitMoney(
  tx: EntityManager,
  from: { id: string; doctor_id: string; payment_status: string },
  to: { id: string; doctor_id: string },
): Promise<void> {
  await tx.execute(`update payment_transaction set appointment_id = ? where appointment_id = ?`, [to.id, from.id]);
  if (from.doctor_id === to.doctor_id) {
    await tx.execute(`update wallet_entry set appointment_id = ? where appointment_id = ? and kind in ('credit', 'debit')`, [to.id, from.id]);
  } else {
    await moveDoctorShare(tx, { appointmentId: from.id, doctorId: from.doctor_id }, { appointmentId: to.id, doctorId: to.doctor_id });
  }
  await tx.execute(`update appointment set payment_status = ?, amount_due_minor = 0, updated_at = now() where id = ?`, [from.payment_status, to.id]);
  await tx.execute(`update appointment set payment_status = 'moved', amount_due_minor = 0, updated_at = now() where id = ?`, [from.id]);
}

/** An amount as the patient reads it in a message ("£51.51"). */
export const formatMoney = (minor: number, currency: string) =>
  new Intl.NumberFormat("en-GB", { style: "currency", currency: currency.toUpperCase() }).format(minor / 100);

/**
 * A visit now given by another doctor (a move, a queue handover): what the first doctor holds of it
 * goes to the second, as a debit (capped at the first's balance, like a refund's) and a credit.
 */
export async function moveDoctorShare(tx: EntityManager, from: { appointmentId: string; doctorId: string }, to: { appointmentId: string; doctorId: string }): Promise<void> {
  const share = await doctorShare(tx, from.appointmentId, from.doctorId);
  if (share.netMinor <= 0 || !share.currency) return;
  await debitDoctor(tx, { ...from, amountMinor: share.netMinor, currency: share.currency, transactionId: null, reference: `visit moved to doctor ${to.doctorId}` });
  await tx.execute(
    `insert into wallet_entry (doctor_id, kind, amount_minor, currency, appointment_id, reference) values (?, 'credit', ?, ?, ?, ?)`,
    [to.doctorId, share.netMinor, share.currency, to.appointmentId, `visit moved from doctor ${from.doctorId}`],
  );
}

/** Stripe's word: a refund reaches the card within 5–10 business days. The later bound, as a date. */
export function refundArrivalBy(from: Date): Date {
  const day = new Date(from);
  for (let businessDays = 0; businessDays < 10; ) {
    day.setUTCDate(day.getUTCDate() + 1);
    if (day.getUTCDay() !== 0 && day.getUTCDay() !== 6) businessDays++;
  }
  return day;
}
