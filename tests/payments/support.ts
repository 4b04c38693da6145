/** Paid-booking apps: api (+ worker) runtimes whose Stripe SDK talks to the stand-in; and the appointment's payment row. */
import { query } from "../support/db";
import { startApiAndWorker, startApp, useStarted, type HasRuntime, type TestApp } from "../support/harness";
import { WEBHOOK_SECRET, startStripeStandin, type StripeStandin } from "../support/stripe-standin";

/**
 * Registers the payment apps for the enclosing describe (started before its tests, closed after):
 * an api node, with `worker: true` a worker node too, and the Stripe stand-in they call.
 */
export function usePaymentApps(options: { worker?: boolean } = {}): { readonly api: TestApp; readonly stripe: StripeStandin } {
  return useStarted(async () => {
    const stripe = await startStripeStandin();
    const env = {
      RATE_LIMIT_MAX: "100000",
      LOG_LEVEL: "error",
      STRIPE_SECRET_KEY: "sk_test_standin",
      STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
      STRIPE_API_URL: stripe.url,
    };
    const apps = options.worker ? await startApiAndWorker(env) : await startApp(env).then((api) => ({ api, close: () => api.close() }));
    return {
      api: apps.api,
      stripe,
      async close() {
        await apps.close();
        await stripe.close();
      },
    };
  });
}

export const appointmentRow = async (app: HasRuntime, id: string) =>
  (await query<{ status: string; payment_status: string; status_reason: string | null }>(app, `select status, payment_status, status_reason from appointment where id = ?`, [id]))[0]!;
