/** Payment routes (docs/payments.md): Stripe's webhook and the checkout retry of a paid hold. */
import type { FastifyPluginAsync } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { checkoutReplySchema, idParams, paymentLinkReplySchema, payoutRequestSchema, refundReplySchema, staffRefundRequestSchema, walletQuerySchema, walletReplySchema } from "@clinic/shared";
import type { EntityManager } from "@mikro-orm/postgresql";
import type { ModuleContext } from "../../platform/module";
import { badRequest, DomainError, notFound, unavailable } from "../../platform/errors";
import { readAppointment } from "../booking";
import { actorOf } from "../../platform/audit";
import { actsAsClinicStaff, authorize, can, requireUser } from "../identity";
import { ensureCheckout, sendPaymentLink } from "./checkout";
import { simulatedCheckoutRoutes } from "./payments.simulated";
import { providerFor, verifiedEvent } from "./stripe";
import { staffRefund } from "./refunds";
import { createPayout, readWallet } from "./wallet";
import { PaymentWebhooks } from "./webhook.service";

const tags = ["payments"];
export const WEBHOOK_PATH = "/payments/webhook";

export function paymentRoutes(ctx: ModuleContext): FastifyPluginAsync {
  return async (plugin) => {
    const app = plugin.withTypeProvider<ZodTypeProvider>();
    const provider = providerFor(ctx.config);
    const { stripe } = provider;
    const webhooks = new PaymentWebhooks(ctx, stripe);

    app.post(
      "/payments/appointments/:appointmentId/checkout",
      {
        schema: {
          tags,
          summary: "The Checkout URL of a pending paid hold, created if the booking could not reach Stripe (503 PAYMENT_PROVIDER_UNAVAILABLE)",
          params: idParams("appointmentId"),
          response: { 200: checkoutReplySchema },
        },
      },
      async (request) => {
        const principal = requireUser(request);
        const row = await readAppointment(ctx.orm.em.fork() as unknown as EntityManager, request.params.appointmentId);
        if (principal.patientId !== row.patient_id && !actsAsClinicStaff(principal, row.clinic_id)) {
          throw notFound("Appointment");
        }
        if (!stripe) throw unavailable("PAYMENT_PROVIDER_UNAVAILABLE");
        try {
          return { checkoutUrl: await ensureCheckout(ctx, stripe, row.id, `${request.protocol}://${request.host}`) };
        } catch (error) {
          if (error instanceof DomainError) throw error;
          request.log.warn({ err: error }, "creating a Checkout Session failed");
          throw unavailable("PAYMENT_PROVIDER_UNAVAILABLE", "The payment provider cannot be reached; try again shortly");
        }
      },
    );

    app.post(
      "/payments/appointments/:appointmentId/payment-link",
      {
        schema: {
          tags,
          summary: "Send the patient the payment link of a paid visit the desk held for them (the clinic's staff); once per visit",
          params: idParams("appointmentId"),
          response: { 200: paymentLinkReplySchema },
        },
      },
      async (request) => {
        const principal = requireUser(request);
        const row = await readAppointment(ctx.orm.em.fork() as unknown as EntityManager, request.params.appointmentId);
        if (!actsAsClinicStaff(principal, row.clinic_id)) throw notFound("Appointment");
        if (!stripe) throw unavailable("PAYMENT_PROVIDER_UNAVAILABLE");
        return sendPaymentLink(ctx, stripe, row.id, `${request.protocol}://${request.host}`);
      },
    );

    app.post(
      "/payments/appointments/:appointmentId/refund",
      {
        schema: {
          tags,
          summary: "Staff refund of a paid appointment, outside the clinic's policy, with a reason (one refund per appointment)",
          params: idParams("appointmentId"),
          body: staffRefundRequestSchema,
          response: { 200: refundReplySchema },
        },
      },
      async (request) => {
        const principal = requireUser(request);
        return staffRefund(ctx, actorOf(request), request.params.appointmentId, request.body, (clinicId) => can(principal, "payments.refund", { clinicId }));
      },
    );

    const doctorClinics = async (doctorId: string) => {
      const rows = await ctx.orm.em.fork().getConnection().execute<{ clinic_id: string }[]>(
        `select dc.clinic_id from doctor d left join doctor_clinic dc on dc.doctor_id = d.id where d.id = ?`,
        [doctorId],
      );
      if (rows.length === 0) throw notFound("Doctor");
      return rows.map((r) => r.clinic_id).filter(Boolean);
    };

    app.get(
      "/doctors/:doctorId/wallet",
      { schema: { tags, summary: "A doctor's wallet: balance per currency and the ledger, newest first", params: idParams("doctorId"), querystring: walletQuerySchema, response: { 200: walletReplySchema } } },
      async (request) => {
        const { doctorId } = request.params;
        authorize(requireUser(request), "wallet.read", { doctorId, doctorClinicIds: await doctorClinics(doctorId) });
        return readWallet(ctx.orm.em.fork() as unknown as EntityManager, doctorId, request.query);
      },
    );

    app.post(
      "/doctors/:doctorId/wallet/payouts",
      { schema: { tags, summary: "Pay a doctor out (409 INSUFFICIENT_BALANCE above the balance)", params: idParams("doctorId"), body: payoutRequestSchema } },
      async (request, reply) => {
        const { doctorId } = request.params;
        authorize(requireUser(request), "wallet.payout", { doctorId, doctorClinicIds: await doctorClinics(doctorId) });
        return reply.code(201).send(await createPayout(ctx, actorOf(request), doctorId, request.body));
      },
    );

    await app.register(async (scope) => {
      // The signature covers the exact bytes Stripe sent: this route alone keeps the raw body.
      scope.addContentTypeParser("application/json", { parseAs: "buffer", bodyLimit: 1024 * 1024 }, (_request, body, done) => done(null, body));
      scope.post(WEBHOOK_PATH, { schema: { tags, summary: "Stripe webhook events (Stripe-Signature verified on the raw body)" } }, async (request, reply) => {
        const secret = provider.webhookSecret;
        const raw = request.body;
        if (!secret) throw unavailable("PAYMENT_PROVIDER_UNAVAILABLE", "No webhook secret is configured");
        if (!Buffer.isBuffer(raw)) throw badRequest("BAD_SIGNATURE", "Send the event as application/json", { field: "body" });
        let event;
        try {
          event = verifiedEvent(raw, request.headers["stripe-signature"], secret);
        } catch {
          throw badRequest("BAD_SIGNATURE", "The Stripe-Signature header is missing, wrong or too old", { field: "headers.stripe-signature" });
        }
        const outcome = await webhooks.handle(event);
        return reply.code(200).send({ received: true, outcome });
      });
    });

    if (provider.simulated && provider.webhookSecret) await app.register(simulatedCheckoutRoutes(ctx, webhooks, provider.webhookSecret));
  };
}
