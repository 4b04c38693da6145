/**
 * Paid visits: a doctor who charges, a patient's paid hold, and a visit booked and paid through a
 * signed webhook from the Stripe stand-in (the payment suites and the data-loss test build on them).
 */
import { hold } from "./api";
import { query } from "./db";
import { buildClinicWithDoctor, buildPatient, buildSlots, setClinicSettings, type TestPerson } from "./factories";
import type { HasRuntime, TestApp } from "./harness";
import { deliver, paidSession, signedEvent, type StripeStandin } from "./stripe-standin";

/** What the paid doctors here charge, and the transaction fee the payment provider adds to it. */
export const FEE = 5050;
export const TRANSACTION_FEE = 101;

/** A clinic with a doctor charging FEE, `count` free slots and a standard-tier patient (who pays). */
export async function buildClinicWithPaidDoctor(app: HasRuntime, count = 1) {
  const base = await buildClinicWithDoctor(app);
  await query(app, `update doctor set consultation_fee_minor = ? where id = ?`, [FEE, base.doctor.doctorId]);
  const free = await buildSlots(app, { doctorId: base.doctor.doctorId, clinicId: base.clinicId, count });
  const patient = await buildPatient(app);
  return { ...base, slots: free, patient };
}

/** The patient holds a paid slot: the pending appointment, with its checkout. */
export async function paidHold(app: TestApp, patient: TestPerson, slotId: string) {
  const reply = await hold(app, patient, { slotId });
  if (reply.status !== 201) throw new Error(`hold failed: ${JSON.stringify(reply.body)}`);
  return reply.body as { id: string; checkoutUrl: string | null; next: string; status: string; feeMinor: number; transactionFeeMinor: number };
}

/**
 * A booked, paid visit in the first of `slotCount` free slots, paid with PaymentIntent
 * `pi_test_{first 8 of its id}` (settings: the clinic's refund policy, merged into its settings).
 */
export async function paidVisit(payments: { api: TestApp; stripe: StripeStandin }, settings: Record<string, unknown> = {}, slotCount = 1) {
  const base = await buildClinicWithPaidDoctor(payments.api, slotCount);
  await setClinicSettings(payments.api, base.clinicId, settings);
  const held = await paidHold(payments.api, base.patient, base.slots[0]!.id);
  const paymentIntent = `pi_test_${held.id.slice(0, 8)}`;
  const paid = await deliver(payments.api.url, signedEvent("checkout.session.completed", paidSession(payments.stripe.sessionOf(held.id), paymentIntent)));
  if ((paid.body as { outcome?: string }).outcome !== "booked") throw new Error(`payment not booked: ${JSON.stringify(paid.body)}`);
  return { ...base, appointmentId: held.id, paymentIntent };
}
