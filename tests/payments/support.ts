/** Paid-booking fixtures: api + worker runtimes whose Stripe SDK talks to the stand-in. */
import { afterAll, beforeAll } from "vitest";
import type { TestApp } from "../support/harness";
import { createTestEnvironment, startTestApp } from "../support/harness";
import { WEBHOOK_SECRET, deliver, paidSession, signedEvent, startStripeStandin, type StripeStandin } from "../support/stripe-standin";
import { hold, patientOn, query, setup, slots } from "../booking/support";

export const FEE = 5050;
export const TRANSACTION_FEE = 101;

async function startPaymentApps(options: { worker?: boolean } = {}): Promise<{ api: TestApp; worker: TestApp | null; stripe: StripeStandin; close(): Promise<void> }> {
  const stripe = await startStripeStandin();
  const environment = await createTestEnvironment();
  const env = {
    RATE_LIMIT_MAX: "100000",
    LOG_LEVEL: "error",
    STRIPE_SECRET_KEY: "sk_test_standin",
    STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
    STRIPE_API_URL: stripe.url,
  };
  const api = await startTestApp(environment, { env });
  const worker = options.worker ? await startTestApp(environment, { env: { ...env, ROLE: "worker" } }) : null;
  return {
    api,
    worker,
    stripe,
    async close() {
      await worker?.close();
      await api.close();
      await stripe.close();
    },
  };
}

/** A clinic, a doctor charging FEE, `count` slots and a standard-tier patient. */
/** Registers the payment apps for the enclosing describe: started before its tests, closed after. */
export function usePaymentApps(options: { worker?: boolean } = {}): { readonly api: TestApp; readonly stripe: StripeStandin } {
  let apps: Awaited<ReturnType<typeof startPaymentApps>> | undefined;
  beforeAll(async () => {
    apps = await startPaymentApps(options);
  });
  afterAll(async () => apps?.close());
  const started = () => {
    if (!apps) throw new Error("the payment apps are not started (use them inside tests or hooks)");
    return apps;
  };
  return {
    get api() {
      return started().api;
    },
    get stripe() {
      return started().stripe;
    },
  };
}

export async function paidSetup(app: TestApp, count = 1) {
  const base = await setup(app);
  await query(app, `update doctor set consultation_fee_minor = ? where id = ?`, [FEE, base.doctor.doctorId]);
  const free = await slots(app, base.doctor.doctorId, base.clinicId, count);
  const patient = await patientOn(app, "standard");
  return { ...base, slots: free, patient };
}

export async function paidHold(app: TestApp, patient: Awaited<ReturnType<typeof patientOn>>, slotId: string) {
  const reply = await hold(app, patient, { slotId });
  if (reply.status !== 201) throw new Error(`hold failed: ${JSON.stringify(reply.body)}`);
  return reply.body as { id: string; checkoutUrl: string | null; next: string; status: string; feeMinor: number; transactionFeeMinor: number };
}

export const appointmentRow = async (app: TestApp, id: string) =>
  (await query<{ status: string; payment_status: string; status_reason: string | null }>(app, `select status, payment_status, status_reason from appointment where id = ?`, [id]))[0]!;
export const slotStatus = async (app: TestApp, id: string) => (await query<{ status: string }>(app, `select status from slot where id = ?`, [id]))[0]!.status;

/**
 * A booked, paid visit in the first of `slotCount` free slots, paid with PaymentIntent
 * `pi_test_{first 8 of its id}` (settings: the clinic's refund policy, merged into its settings).
 */
export async function paidVisit(payments: { api: TestApp; stripe: StripeStandin }, settings: Record<string, unknown> = {}, slotCount = 1) {
  const base = await paidSetup(payments.api, slotCount);
  await query(payments.api, `update clinic set settings = settings || ?::jsonb where id = ?`, [JSON.stringify(settings), base.clinicId]);
  const held = await paidHold(payments.api, base.patient, base.slots[0]!.id);
  const paymentIntent = `pi_test_${held.id.slice(0, 8)}`;
  const paid = await deliver(payments.api.url, signedEvent("checkout.session.completed", paidSession(payments.stripe.sessionOf(held.id), paymentIntent)));
  if ((paid.body as { outcome?: string }).outcome !== "booked") throw new Error(`payment not booked: ${JSON.stringify(paid.body)}`);
  return { ...base, appointmentId: held.id, paymentIntent };
}
