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
const page = (title: string, body: string) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title></head><body><main><h1>${escape(title)}</h1>${body}</main></body></html>`;

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
      const what = `${escape(formatMoney(row.amount_minor, row.currency))} for ${escape(row.doctor)}, ${escape(formatWhen(new Date(row.starts_at), row.time_zone))} at ${escape(row.clinic)}`;
      const open = row.status === "pending" && row.payment_status === "unpaid";
      const action = `${SIMULATED_PAGE}/${encodeURIComponent(row.session_id)}`;
      const body = open
        ? `<p>${what}</p><p>Simulated payment: no money moves.</p>
           <form method="post" action="${action}/pay"><button type="submit">Pay</button></form>
           <form method="post" action="${action}/decline"><button type="submit">Decline</button></form>`
        : `<p>${what}</p><p>This checkout is closed (appointment ${escape(row.status)}, payment ${escape(row.payment_status)}).</p>`;
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
        return reply
          .type("text/html; charset=utf-8")
          .send(page(title, `<p data-outcome="${escape(outcome)}">Outcome: ${escape(outcome)}.</p><p><a href="${back}">Return to Clinic Live</a></p>`));
      },
    );
  };
}
