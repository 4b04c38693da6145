/** Waitlist routes (docs/waitlist.md): each handler validates (zod), guards in the service, one call. */
import type { FastifyPluginAsync } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import {
  acceptWaitlistOfferReplySchema,
  idParams,
  joinWaitlistRequestSchema,
  waitlistEntryViewSchema,
  waitlistListQuerySchema,
  waitlistListSchema,
  waitlistOfferViewSchema,
} from "@clinic/shared";
import type { ModuleContext } from "../../platform/module";
import { actorOf } from "../../platform/audit";
import { requireUser } from "../identity";
import { WaitlistService } from "./waitlist.service";

const tags = ["waitlist"];

export function waitlistRoutes(ctx: ModuleContext): FastifyPluginAsync {
  return async (plugin) => {
    const app = plugin.withTypeProvider<ZodTypeProvider>();
    const service = new WaitlistService(ctx);

    app.post(
      "/waitlist",
      {
        schema: {
          tags,
          summary: "Join a doctor's waitlist (the patient, or clinic staff for a patient); 409 WAITLIST_DUPLICATE",
          body: joinWaitlistRequestSchema,
          response: { 201: waitlistEntryViewSchema },
        },
      },
      async (request, reply) => reply.code(201).send(await service.join(requireUser(request), actorOf(request), request.body)),
    );

    app.get(
      "/waitlist",
      {
        schema: {
          tags,
          summary: "Waitlist entries: scope=mine (patient), or clinicId / doctorId (staff, the doctor); offer order",
          querystring: waitlistListQuerySchema,
          response: { 200: waitlistListSchema },
        },
      },
      async (request) => ({ items: await service.list(requireUser(request), request.query) }),
    );

    app.delete(
      "/waitlist/:entryId",
      { schema: { tags, summary: "Leave the waitlist; a live offer is declined with it", params: idParams("entryId"), response: { 200: waitlistEntryViewSchema } } },
      async (request) => service.leave(requireUser(request), actorOf(request), request.params.entryId),
    );

    app.post(
      "/waitlist/offers/:offerId/accept",
      {
        schema: {
          tags,
          summary: "Accept an offer while its hold is live: free bookings are scheduled, paid ones answer next=pay (409 OFFER_EXPIRED)",
          params: idParams("offerId"),
          response: { 200: acceptWaitlistOfferReplySchema },
        },
      },
      async (request) => service.accept(requireUser(request), actorOf(request), request.params.offerId),
    );

    app.post(
      "/waitlist/offers/:offerId/decline",
      {
        schema: {
          tags,
          summary: "Decline an offer: the hold is cancelled and the slot offered to the next patient",
          params: idParams("offerId"),
          response: { 200: waitlistOfferViewSchema },
        },
      },
      async (request) => service.decline(requireUser(request), actorOf(request), request.params.offerId),
    );
  };
}
