/**
 * The simulated provider (no Stripe key, outside production): the few SDK calls the module makes,
 * answered in process. A session's URL is the local checkout page (payments.simulated.ts) whose
 * Pay / Decline buttons drive the real webhook handler with correctly signed events.
 */
import { randomUUID } from "node:crypto";
import type Stripe from "stripe";

export const SIMULATED_PAGE = "/api/v1/payments/simulated";

const simId = (prefix: string) => `${prefix}_sim_${randomUUID().replaceAll("-", "")}`;

export function simulatedStripe(): Stripe {
  const provider = {
    customers: { create: async () => ({ id: simId("cus"), object: "customer" }) },
    checkout: {
      sessions: {
        create: async (params: Stripe.Checkout.SessionCreateParams) => {
          const id = simId("cs");
          // The page lives on the same server the success URL names.
          return { id, object: "checkout.session", url: new URL(`${SIMULATED_PAGE}/${id}`, params.success_url!).toString() };
        },
        // The page refuses an ended hold by itself: nothing to expire.
        expire: async (id: string) => ({ id, object: "checkout.session", status: "expired" }),
      },
    },
    refunds: { create: async (params: Stripe.RefundCreateParams) => ({ id: simId("re"), object: "refund", payment_intent: params.payment_intent, status: "succeeded" }) },
  };
  return provider as unknown as Stripe;
}
