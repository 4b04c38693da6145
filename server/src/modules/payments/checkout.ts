/**
 * The Checkout Session of a paid hold (docs/payments.md): the patient's Stripe customer (created
 * once, reused), then one session per appointment for fee + transaction fee. Both calls carry
 * idempotency keys and rows are written only after Stripe answered, so a retry (the booking replay,
 * or POST /payments/appointments/:id/checkout) ends with the same customer and session.
 */
import { formatWhen, type NotificationChannel } from "@clinic/shared";
import type { EntityManager } from "@mikro-orm/postgresql";
import type { ModuleContext } from "../../platform/module";
import { conflict, notFound } from "../../platform/errors";
import { dispatchMessages, notify } from "../notifications";
import { formatMoney } from "./ledger";
import type { Snapshot } from "../booking";
import { MIN_SESSION_SECONDS, stripeFor, type Stripe } from "./stripe";

export const checkoutKey = (appointmentId: string) => `checkout-${appointmentId}`;

interface Due {
  id: string;
  patient_id: string;
  status: string;
  payment_status: string;
  fee_minor: number;
  transaction_fee_minor: number;
  amount_due_minor: number;
  pending_move_from: string | null;
  currency: string;
  email: string | null;
  full_name: string | null;
  doctor_name: string;
}

/** The checkout URL of a pending unpaid appointment, creating the session when it has none. */
export async function ensureCheckout(ctx: ModuleContext, stripe: Stripe, appointmentId: string, origin: string): Promise<string> {
  const em = ctx.orm.em.fork() as unknown as EntityManager;
  const [existing] = await em.execute<{ url: string }[]>(`select url from checkout_session where appointment_id = ?`, [appointmentId]);
  if (existing) return existing.url;
  const [due] = await em.execute<Due[]>(
    `select a.id, a.patient_id, a.status, a.payment_status, a.fee_minor, a.transaction_fee_minor, a.amount_due_minor, a.pending_move_from, a.currency,
            u.email, p.full_name, d.display_name as doctor_name
       from appointment a join patient p on p.id = a.patient_id join user_account u on u.id = p.user_id join doctor d on d.id = a.doctor_id
      where a.id = ?`,
    [appointmentId],
  );
  if (!due) throw notFound("Appointment");
  if (due.status !== "pending" || due.payment_status !== "unpaid" || due.amount_due_minor <= 0) {
    throw conflict("NOT_PAYABLE", `A ${due.status} appointment with payment ${due.payment_status} cannot be paid`);
  }
  const customer = await ensureCustomer(em, stripe, due);
  const currency = due.currency.toLowerCase();
  const purpose = due.pending_move_from ? "move" : "booking";
  const lineItems: Stripe.Checkout.SessionCreateParams.LineItem[] =
    purpose === "move"
      ? [{ quantity: 1, price_data: { currency, unit_amount: due.amount_due_minor, product_data: { name: `Difference for moving your visit with ${due.doctor_name}` } } }]
      : [{ quantity: 1, price_data: { currency, unit_amount: due.fee_minor, product_data: { name: `Consultation with ${due.doctor_name}` } } }];
  if (purpose === "booking" && due.transaction_fee_minor > 0) {
    lineItems.push({ quantity: 1, price_data: { currency, unit_amount: due.transaction_fee_minor, product_data: { name: "Transaction fee" } } });
  }
  const base = ctx.config.http.publicUrl ?? origin;
  const metadata = { appointmentId };
  // The hold (payment window) is usually shorter than Stripe allows: the worker expires the session
  // when the hold lapses; this is only the outer bound.
  const lifetime = Math.max(ctx.config.booking.paymentWindowSeconds, MIN_SESSION_SECONDS) + 60;
  const session = await stripe.checkout.sessions.create(
    {
      mode: "payment",
      customer,
      client_reference_id: appointmentId,
      line_items: lineItems,
      metadata,
      payment_intent_data: { metadata },
      expires_at: Math.floor(Date.now() / 1000) + lifetime,
      // The patient's hold page (web/src/screens/patient/Booking.tsx) shows the outcome live.
      success_url: new URL(`/patient/book/${appointmentId}?payment=success`, base).toString(),
      cancel_url: new URL(`/patient/book/${appointmentId}?payment=cancelled`, base).toString(),
    },
    { idempotencyKey: checkoutKey(appointmentId) },
  );
  if (!session.url) throw new Error(`Checkout Session ${session.id} has no url`);
  // What the webhook will believe: this session id, for this amount and currency (webhook.service.ts).
  await em.execute(
    `insert into checkout_session (appointment_id, session_id, url, amount_minor, currency, purpose) values (?, ?, ?, ?, ?, ?) on conflict do nothing`,
    [appointmentId, session.id, session.url, due.amount_due_minor, due.currency, purpose],
  );
  // A concurrent twin may have stored first: everyone answers with the stored session.
  const [stored] = await em.execute<{ url: string }[]>(`select url from checkout_session where appointment_id = ?`, [appointmentId]);
  return stored!.url;
}

async function ensureCustomer(em: EntityManager, stripe: Stripe, due: Due): Promise<string> {
  const [known] = await em.execute<{ customer_id: string }[]>(`select customer_id from stripe_customer where patient_id = ?`, [due.patient_id]);
  if (known) return known.customer_id;
  // Two first bookings at once send the same key: Stripe answers both with one customer.
  const customer = await stripe.customers.create(
    { ...(due.email ? { email: due.email } : {}), ...(due.full_name ? { name: due.full_name } : {}), metadata: { patientId: due.patient_id } },
    { idempotencyKey: `customer-${due.patient_id}` },
  );
  await em.execute(`insert into stripe_customer (patient_id, customer_id) values (?, ?) on conflict do nothing`, [due.patient_id, customer.id]);
  const [stored] = await em.execute<{ customer_id: string }[]>(`select customer_id from stripe_customer where patient_id = ?`, [due.patient_id]);
  return stored!.customer_id;
}

/**
 * After a hold ended unpaid (lapsed, cancelled): its open session is expired at Stripe so it cannot
 * be paid any more. Best effort: a payment that still slips through is handled as a late payment.
 */
export async function expireEndedCheckouts(ctx: ModuleContext, snapshot: Snapshot): Promise<void> {
  const stripe = stripeFor(ctx.config);
  const appointmentIds = snapshot.appointments.filter((a) => a.status === "expired" || a.status === "cancelled").map((a) => a.appointmentId);
  if (!stripe || appointmentIds.length === 0) return;
  const em = ctx.orm.em.fork() as unknown as EntityManager;
  const open = await em.execute<{ session_id: string }[]>(
    `select c.session_id from checkout_session c join appointment a on a.id = c.appointment_id
      where c.appointment_id = any(?::uuid[]) and a.status in ('expired', 'cancelled') and a.payment_status = 'unpaid'`,
    [`{${appointmentIds.join(",")}}`],
  );
  for (const { session_id } of open) {
    try {
      await stripe.checkout.sessions.expire(session_id, {}, { idempotencyKey: `expire-${session_id}` });
    } catch (error) {
      ctx.log.warn({ err: error, sessionId: session_id }, "expiring a Checkout Session failed");
    }
  }
}

/**
 * The booking reply of a paid hold with its Checkout URL. Stripe down: the hold stays (it is the
 * payment window), `checkoutUrl` stays null and POST /payments/appointments/:id/checkout retries.
 */
export async function withCheckout<T extends { id: string; next?: string | null | undefined; checkoutUrl?: string | null }>(
  ctx: ModuleContext,
  body: T,
  request: { log: Pick<ModuleContext["log"], "warn">; protocol: string; host: string },
): Promise<T> {
  const stripe = stripeFor(ctx.config);
  if (!stripe || body.next !== "pay" || !body.id) return body;
  try {
    return { ...body, checkoutUrl: await ensureCheckout(ctx, stripe, body.id, `${request.protocol}://${request.host}`) };
  } catch (error) {
    request.log.warn({ err: error, appointmentId: body.id }, "creating a Checkout Session failed; the hold stays, checkout can be retried");
    return body;
  }
}

/**
 * For a paid visit the desk booked for someone on the phone: the Checkout URL, sent to the patient
 * (in-app, email, SMS by their preferences) once per visit; a second call answers the same link
 * and sends nothing again.
 */
export async function sendPaymentLink(ctx: ModuleContext, stripe: Stripe, appointmentId: string, origin: string): Promise<{ checkoutUrl: string; channels: NotificationChannel[] }> {
  const checkoutUrl = await ensureCheckout(ctx, stripe, appointmentId, origin);
  const em = ctx.orm.em.fork() as unknown as EntityManager;
  const written = await em.transactional(async (tx) => {
    const [visit] = await tx.execute<{ user_id: string; clinic_id: string; clinic: string; doctor: string; starts_at: Date; hold_expires_at: Date | null; amount_due_minor: number; currency: string; time_zone: string }[]>(
      `select p.user_id, a.clinic_id, c.name as clinic, d.display_name as doctor, a.starts_at, a.hold_expires_at, a.amount_due_minor, a.currency, c.time_zone
         from appointment a join patient p on p.id = a.patient_id join doctor d on d.id = a.doctor_id join clinic c on c.id = a.clinic_id where a.id = ?`,
      [appointmentId],
    );
    if (!visit) throw notFound("Appointment");
    const ids = await notify(tx, {
      userId: visit.user_id,
      template: "payments.pay-link",
      clinicId: visit.clinic_id,
      key: `pay-link-${appointmentId}`,
      payload: {
        appointmentId,
        checkoutUrl,
        clinic: visit.clinic,
        doctor: visit.doctor,
        when: formatWhen(new Date(visit.starts_at), visit.time_zone),
        amount: formatMoney(visit.amount_due_minor, visit.currency),
        payBy: visit.hold_expires_at ? formatWhen(new Date(visit.hold_expires_at), visit.time_zone) : "soon",
      },
    });
    return ids;
  });
  await dispatchMessages(ctx, written);
  const rows = await em.execute<{ channel: NotificationChannel }[]>(
    `select channel from notification_outbox where dedupe_key like ? and status <> 'not_sent' order by channel`,
    [`pay-link-${appointmentId}%`],
  );
  return { checkoutUrl, channels: rows.map((row) => row.channel) };
}
