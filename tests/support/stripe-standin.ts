/**
 * A stand-in for the few Stripe API endpoints the payments module calls, for the real SDK to talk
 * to (STRIPE_API_URL). It records every request (path, Idempotency-Key, form body) and answers a
 * repeated idempotency key with the first answer, as Stripe does. `down` makes it answer 503.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import Stripe from "stripe";

export interface RecordedRequest {
  method: string;
  path: string;
  idempotencyKey: string | null;
  form: Record<string, string>;
}

export interface StripeStandin {
  url: string;
  requests: RecordedRequest[];
  sessions: Map<string, Record<string, unknown>>;
  /** While true every call answers 503 (Stripe down). */
  down: boolean;
  calls(path: string | RegExp): RecordedRequest[];
  /** The Checkout Session created for an appointment (by its metadata). */
  sessionOf(appointmentId: string): Record<string, unknown>;
  close(): Promise<void>;
}

export const WEBHOOK_SECRET = "whsec_test_standin_secret";

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

export async function startStripeStandin(): Promise<StripeStandin> {
  let serial = 0;
  const next = (prefix: string) => `${prefix}_test_${(++serial).toString().padStart(6, "0")}`;
  const answers = new Map<string, { status: number; body: unknown }>();
  const requests: RecordedRequest[] = [];
  const sessions = new Map<string, Record<string, unknown>>();
  const state = { down: false };

  const route = (method: string, path: string, form: Record<string, string>): { status: number; body: unknown } => {
    if (method === "POST" && path === "/v1/customers") {
      return { status: 200, body: { id: next("cus"), object: "customer", email: form.email ?? null, name: form.name ?? null, metadata: metadataOf(form) } };
    }
    if (method === "POST" && path === "/v1/checkout/sessions") {
      let amount = 0;
      for (let i = 0; form[`line_items[${i}][quantity]`]; i++) {
        amount += Number(form[`line_items[${i}][price_data][unit_amount]`]) * Number(form[`line_items[${i}][quantity]`]);
      }
      const id = next("cs");
      const session = {
        id,
        object: "checkout.session",
        mode: form.mode,
        url: `https://checkout.stripe.test/c/pay/${id}`,
        amount_total: amount,
        currency: form["line_items[0][price_data][currency]"],
        customer: form.customer ?? null,
        client_reference_id: form.client_reference_id ?? null,
        metadata: metadataOf(form),
        expires_at: Number(form.expires_at),
        payment_intent: null,
        payment_status: "unpaid",
        status: "open",
      };
      sessions.set(id, session);
      return { status: 200, body: session };
    }
    const expire = /^\/v1\/checkout\/sessions\/([^/]+)\/expire$/.exec(path);
    if (method === "POST" && expire) {
      const session = sessions.get(expire[1]!);
      if (!session) return { status: 404, body: { error: { type: "invalid_request_error", message: "No such checkout.session" } } };
      if (session.status !== "open") return { status: 400, body: { error: { type: "invalid_request_error", message: `Session is ${String(session.status)}` } } };
      session.status = "expired";
      return { status: 200, body: session };
    }
    if (method === "POST" && path === "/v1/refunds") {
      return { status: 200, body: { id: next("re"), object: "refund", payment_intent: form.payment_intent, status: "succeeded", metadata: metadataOf(form) } };
    }
    return { status: 404, body: { error: { type: "invalid_request_error", message: `stand-in has no ${method} ${path}` } } };
  };

  const server: Server = createServer((request, response) => {
    void (async () => {
      const text = await readBody(request);
      const path = (request.url ?? "/").split("?")[0]!;
      const form = Object.fromEntries(new URLSearchParams(text));
      const key = typeof request.headers["idempotency-key"] === "string" ? request.headers["idempotency-key"] : null;
      requests.push({ method: request.method ?? "GET", path, idempotencyKey: key, form });
      let answer: { status: number; body: unknown };
      if (state.down) answer = { status: 503, body: { error: { type: "api_error", message: "stand-in is down" } } };
      else if (key && answers.has(key)) answer = answers.get(key)!;
      else {
        answer = route(request.method ?? "GET", path, form);
        if (key && answer.status < 500) answers.set(key, answer);
      }
      response.writeHead(answer.status, { "content-type": "application/json", "request-id": `req_${serial}` });
      response.end(JSON.stringify(answer.body));
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    sessions,
    get down() {
      return state.down;
    },
    set down(value: boolean) {
      state.down = value;
    },
    calls: (path) => requests.filter((r) => (typeof path === "string" ? r.path === path : path.test(r.path))),
    sessionOf: (appointmentId) => {
      const session = [...sessions.values()].find((s) => (s.metadata as Record<string, string>).appointmentId === appointmentId);
      if (!session) throw new Error(`the stand-in has no Checkout Session for appointment ${appointmentId}`);
      return session;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function metadataOf(form: Record<string, string>): Record<string, string> {
  const metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(form)) {
    const match = /^metadata\[(.+)\]$/.exec(name);
    if (match) metadata[match[1]!] = value;
  }
  return metadata;
}

let eventSerial = 0;

/** A webhook delivery signed exactly as Stripe signs it (the SDK's own test header). */
export function signedEvent(type: string, object: Record<string, unknown>, options: { id?: string; secret?: string; timestamp?: number; created?: number } = {}) {
  const event = {
    id: options.id ?? `evt_test_${Date.now()}_${++eventSerial}`,
    object: "event",
    api_version: "2025-01-01",
    created: options.created ?? Math.floor(Date.now() / 1000),
    type,
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    data: { object },
  };
  const payload = JSON.stringify(event);
  const signature = Stripe.webhooks.generateTestHeaderString({
    payload,
    secret: options.secret ?? WEBHOOK_SECRET,
    ...(options.timestamp ? { timestamp: options.timestamp } : {}),
  });
  return { id: event.id, payload, signature };
}

/** Posts a signed delivery to the app's webhook route. */
export async function deliver(appUrl: string, delivery: { payload: string; signature: string }): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${appUrl}/api/v1/payments/webhook`, {
    method: "POST",
    headers: { "content-type": "application/json", "stripe-signature": delivery.signature },
    body: delivery.payload,
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** The session as Stripe sends it once paid. */
export function paidSession(session: Record<string, unknown>, paymentIntent = `pi_test_${++eventSerial}`) {
  return { ...session, status: "complete", payment_status: "paid", payment_intent: paymentIntent };
}
