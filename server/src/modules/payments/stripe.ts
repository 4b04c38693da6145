/**
 * The payment provider, built from config (docs/payments.md): the Stripe SDK with a secret key
 * (`STRIPE_API_URL` points it elsewhere: tests use a stand-in), else outside production the simulated
 * provider (simulated.ts), else none (paid holds answer `checkoutUrl: null`).
 */
import { createHmac } from "node:crypto";
import Stripe from "stripe";
import type { Config } from "../../config";
import { simulatedStripe } from "./simulated";

export type { Stripe };

/** Stripe's own minimum lifetime of a Checkout Session. */
export const MIN_SESSION_SECONDS = 30 * 60;

export interface Provider {
  stripe: Stripe | null;
  simulated: boolean;
  webhookSecret: string | undefined;
}

const providers = new WeakMap<Config, Provider>();

/** One provider per configuration (the SDK keeps its own agent). */
export function providerFor(config: Config): Provider {
  if (!providers.has(config)) providers.set(config, createProvider(config));
  return providers.get(config)!;
}

export const stripeFor = (config: Config) => providerFor(config).stripe;

function createProvider(config: Config): Provider {
  const { stripeSecretKey, webhookSecret, apiUrl } = config.payments;
  if (!stripeSecretKey) {
    // Never in production: there a missing key must not let anyone "pay" by pressing a button.
    if (config.isProduction) return { stripe: null, simulated: false, webhookSecret };
    // Stable across nodes (derived from the JWT secret), so any api node verifies a simulated event.
    const derived = `whsec_sim_${createHmac("sha256", config.auth.jwtSecret).update("stripe-simulated-webhook").digest("hex")}`;
    return { stripe: simulatedStripe(), simulated: true, webhookSecret: webhookSecret ?? derived };
  }
  const api = apiUrl ? new URL(apiUrl) : null;
  const stripe = new Stripe(stripeSecretKey, {
    // One retry on a network error; every write carries an idempotency key, so a retry is safe.
    maxNetworkRetries: 1,
    timeout: 10_000,
    telemetry: false,
    ...(api
      ? { host: api.hostname, port: api.port || (api.protocol === "https:" ? 443 : 80), protocol: api.protocol === "https:" ? "https" : "http" }
      : {}),
  });
  return { stripe, simulated: false, webhookSecret };
}

/** How far from now a delivery's signature time may be, either way (Stripe's default tolerance). */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

/**
 * Verifies the signature on the raw body and parses the event; throws on a bad or stale signature,
 * and on one (or an event) timestamped more than the tolerance in the future: the SDK checks only
 * the past, and a future stamp would outlive the replay window.
 */
export function verifiedEvent(rawBody: Buffer | string, signature: string | string[] | undefined, secret: string, now = Date.now()): Stripe.Event {
  if (typeof signature !== "string") throw new Error("missing Stripe-Signature");
  const event = Stripe.webhooks.constructEvent(rawBody, signature, secret, SIGNATURE_TOLERANCE_SECONDS);
  const signedAt = Number(/(?:^|,)t=(\d+)/.exec(signature)?.[1]);
  const latest = Math.floor(now / 1000) + SIGNATURE_TOLERANCE_SECONDS;
  if (!Number.isFinite(signedAt) || signedAt > latest || event.created > latest) throw new Error("Stripe-Signature or event timestamped in the future");
  return event;
}

/** A webhook delivery signed as Stripe signs it (the simulated provider's events). */
export function signEvent(type: string, object: object, secret: string): { payload: string; signature: string } {
  const payload = JSON.stringify({
    id: `evt_sim_${crypto.randomUUID().replaceAll("-", "")}`,
    object: "event",
    created: Math.floor(Date.now() / 1000),
    type,
    livemode: false,
    data: { object },
  });
  return { payload, signature: Stripe.webhooks.generateTestHeaderString({ payload, secret }) };
}
