/**
 * The Stripe SDK client, built from config (docs/payments.md). No secret key: no client, and paid
 * holds answer `checkoutUrl: null`. `STRIPE_API_URL` points the SDK elsewhere (tests: a stand-in).
 */
import Stripe from "stripe";
import type { Config } from "../../config";

export type { Stripe };

/** Stripe's own minimum lifetime of a Checkout Session. */
export const MIN_SESSION_SECONDS = 30 * 60;

const clients = new WeakMap<Config["payments"], Stripe | null>();

/** One client per configuration (the SDK keeps its own agent). */
export function stripeFor(config: Config["payments"]): Stripe | null {
  if (!clients.has(config)) clients.set(config, createStripe(config));
  return clients.get(config)!;
}

function createStripe(config: Config["payments"]): Stripe | null {
  if (!config.stripeSecretKey) return null;
  const api = config.apiUrl ? new URL(config.apiUrl) : null;
  return new Stripe(config.stripeSecretKey, {
    // One retry on a network error; every write carries an idempotency key, so a retry is safe.
    maxNetworkRetries: 1,
    timeout: 10_000,
    telemetry: false,
    ...(api
      ? { host: api.hostname, port: api.port || (api.protocol === "https:" ? 443 : 80), protocol: api.protocol === "https:" ? "https" : "http" }
      : {}),
  });
}

/** Verifies the signature on the raw body and parses the event; throws on a bad or stale signature. */
export function verifiedEvent(rawBody: Buffer, signature: string | string[] | undefined, secret: string): Stripe.Event {
  if (typeof signature !== "string") throw new Error("missing Stripe-Signature");
  return Stripe.webhooks.constructEvent(rawBody, signature, secret);
}
