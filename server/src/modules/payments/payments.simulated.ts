/**
 * The simulated provider's checkout page (docs/payments.md): GET shows the booking and amount with
 * Pay / Decline; each button builds the session as Stripe would send it, signs the event with the
 * webhook secret and passes it through the same verification and handler as Stripe's deliveries.
 * The session id in the URL is the capability, as with Stripe's hosted page.
 */
import type { FastifyPluginAsync } from "fastify";
import type { EntityManager } from "@mikro-orm/postgresql";
import { randomUUID } from "node:crypto";
import type { ModuleContext } from "../../platform/module";
import { notFound } from "../../platform/errors";
import { formatWhen } from "@clinic/shared";
import { SIMULATED_PAGE } from "./simulated";
import { signEvent, verifiedEvent } from "./stripe";
import { formatMoney } from "./ledger";
import type { PaymentWebhooks } from "./webhook.service";

interface Row {
  appointment_id: string;
  session_id: string;
  amount_minor: number;
  currency: string;
  status: string;
  payment_status: string;
  starts_at: Date;
  doctor: string;
  clinic: string;
  time_zone: string;
}

const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Styled like a hosted checkout: one card, the visit and the amount, then the actions (inline CSS: the page stands alone). */
const STYLE = `
  :root { color-scheme: light; font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; line-height: 1.5; color: #1b1f24; background: #f4f6f8; }
  body { margin: 0; min-height: 100vh; display: flex; align-items: flex-start; justify-content: center; padding: 2rem 1rem; box-sizing: border-box; }
  main { width: 100%; max-width: 28rem; background: #fff; border: 1px solid #c9d1d9; border-radius: 0.75rem; box-shadow: 0 2px 12px rgb(11 61 92 / 0.08); overflow: hidden; }
  header { background: #0b3d5c; color: #fff; padding: 1rem 1.5rem; display: flex; justify-content: space-between; align-items: center; gap: 1rem; }
  header .brand { font-weight: 700; font-size: 1.125rem; }
  header .test { font-size: 0.8125rem; font-weight: 600; background: #ffbf47; color: #1b1f24; border-radius: 999px; padding: 0.125rem 0.625rem; }
  .content { padding: 1.5rem; }
  h1 { font-size: 1.5rem; margin: 0 0 1rem; }
  dl { margin: 0 0 1.25rem; display: grid; grid-template-columns: auto 1fr; gap: 0.375rem 1rem; }
  dt { color: #4a5561; }
  dd { margin: 0; font-weight: 600; }
  .amount { font-size: 2rem; font-weight: 700; margin: 0 0 0.25rem; font-variant-numeric: tabular-nums; }
  .note { color: #4a5561; font-size: 0.9375rem; margin: 0 0 1.5rem; }
  form { margin: 0 0 0.75rem; }
  button, .back { display: block; width: 100%; box-sizing: border-box; min-height: 3rem; border-radius: 0.5rem; font: inherit; font-weight: 700; font-size: 1.0625rem; cursor: pointer; text-align: center; text-decoration: none; padding: 0.75rem 1rem; }
  .pay { background: #0b3d5c; color: #fff; border: 2px solid #0b3d5c; }
  .decline { background: #fff; color: #8a1116; border: 2px solid #c9d1d9; }
  .back { background: #0b3d5c; color: #fff; border: 2px solid #0b3d5c; }
  button:focus-visible, .back:focus-visible { outline: 3px solid #ffbf47; outline-offset: 2px; }
  .result { border-radius: 0.5rem; padding: 0.75rem 1rem; margin: 0 0 1.25rem; font-weight: 600; }
  .result.good { background: #dcf3e2; color: #0b5d1e; }
  .result.bad { background: #fde2e1; color: #8a1116; }
  .result.info { background: #e8ecf0; color: #3d4a57; }
`;

const page = (title: string, body: string) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escape(title)} · Clinic Live</title><style>${STYLE}</style></head>` +
  `<body><main><header><span class="brand">Clinic Live</span><span class="test">Test payment</span></header><div class="content"><h1>${escape(title)}</h1>${body}</div></main></body></html>`;

/** What the patient reads after pressing a button, by the webhook handler's outcome. */
const OUTCOME_TEXT: Record<string, { tone: "good" | "bad" | "info"; text: string }> = {
  booked: { tone: "good", text: "Paid. Your appointment is booked." },
  rebooked: { tone: "good", text: "Paid. Your appointment is booked again." },
  moved: { tone: "good", text: "Paid. Your appointment has moved to its new time." },
  already_paid: { tone: "info", text: "This was paid already: nothing more was charged." },
  cancelled: { tone: "bad", text: "Payment declined. The time is released; you have not been charged." },
  refunded: { tone: "info", text: "The time was no longer yours to pay for: the payment is refunded in full." },
};

export function simulatedCheckoutRoutes(ctx: ModuleContext, webhooks: PaymentWebhooks, secret: string): FastifyPluginAsync {
  const read = async (sessionId: string): Promise<Row> => {
    const em = ctx.orm.em.fork() as unknown as EntityManager;
    const [row] = await em.execute<Row[]>(
      `select c.appointment_id, c.session_id, c.amount_minor, c.currency, a.status, a.payment_status, a.starts_at,
              d.display_name as doctor, cl.name as clinic, cl.time_zone
         from checkout_session c join appointment a on a.id = c.appointment_id join doctor d on d.id = a.doctor_id join clinic cl on cl.id = a.clinic_id
        where c.session_id = ?`,
      [sessionId],
    );
    if (!row) throw notFound("Checkout session");
    return row;
  };
  const base = SIMULATED_PAGE.replace(/^\/api\/v1/, "");

  return async (app) => {
    // The buttons post empty forms.
    app.addContentTypeParser("application/x-www-form-urlencoded", { parseAs: "string" }, (_request, _body, done) => done(null, {}));

    app.get<{ Params: { sessionId: string } }>(`${base}/:sessionId`, { schema: { tags: ["payments"], summary: "Simulated checkout page (no Stripe key)" } }, async (request, reply) => {
      const row = await read(request.params.sessionId);
      const amount = escape(formatMoney(row.amount_minor, row.currency));
      const visit = `<p class="amount">${amount}</p>
        <dl><dt>Doctor</dt><dd>${escape(row.doctor)}</dd><dt>When</dt><dd>${escape(formatWhen(new Date(row.starts_at), row.time_zone))}</dd><dt>Where</dt><dd>${escape(row.clinic)}</dd></dl>`;
      const open = row.status === "pending" && row.payment_status === "unpaid";
      const action = `${SIMULATED_PAGE}/${encodeURIComponent(row.session_id)}`;
      const body = open
        ? `${visit}<p class="note">A simulated payment (no payment provider is configured): no money moves.</p>
           <form method="post" action="${action}/pay"><button type="submit" class="pay">Pay ${amount}</button></form>
           <form method="post" action="${action}/decline"><button type="submit" class="decline">Decline</button></form>`
        : `${visit}<p class="result info">This checkout is closed (appointment ${escape(row.status)}, payment ${escape(row.payment_status)}).</p>`;
      return reply.type("text/html; charset=utf-8").send(page("Checkout", body));
    });

    app.post<{ Params: { sessionId: string; choice: string } }>(
      `${base}/:sessionId/:choice`,
      { schema: { tags: ["payments"], summary: "Pay or decline a simulated checkout (drives the webhook handler)" } },
      async (request, reply) => {
        const { choice } = request.params;
        if (choice !== "pay" && choice !== "decline") throw notFound("Checkout action");
        const row = await read(request.params.sessionId);
        const session = {
          id: row.session_id,
          object: "checkout.session",
          client_reference_id: row.appointment_id,
          metadata: { appointmentId: row.appointment_id },
          amount_total: row.amount_minor,
          currency: row.currency.toLowerCase(),
          payment_intent: choice === "pay" ? `pi_sim_${randomUUID().replaceAll("-", "")}` : null,
          payment_status: choice === "pay" ? "paid" : "unpaid",
          status: choice === "pay" ? "complete" : "expired",
        };
        const delivery = signEvent(choice === "pay" ? "checkout.session.completed" : "checkout.session.async_payment_failed", session, secret);
        const outcome = await webhooks.handle(verifiedEvent(delivery.payload, delivery.signature, secret));
        const title = choice === "pay" ? "Payment simulated" : "Payment declined";
        // Where Stripe's hosted page would send the patient: the success or cancel URL of the session.
        const back = `/patient/book/${encodeURIComponent(row.appointment_id)}?payment=${choice === "pay" ? "success" : "cancelled"}`;
        const said = OUTCOME_TEXT[outcome] ?? { tone: "info" as const, text: `Outcome: ${outcome}.` };
        return reply
          .type("text/html; charset=utf-8")
          .send(page(title, `<p class="result ${said.tone}" data-outcome="${escape(outcome)}">${escape(said.text)}</p><a class="back" href="${back}">Return to Clinic Live</a>`));
      },
    );
  };
}
