/** Reviews and ratings routes (docs/reviews.md): each handler validates (zod), the service guards, one call. */
import type { FastifyPluginAsync } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import {
  createReviewRequestSchema,
  hideReviewRequestSchema,
  idParams,
  reviewListQuerySchema,
  reviewPageSchema,
  reviewReplyRequestSchema,
  reviewSchema,
} from "@clinic/shared";
import type { ModuleContext } from "../../platform/module";
import { actorOf } from "../../platform/audit";
import { requireUser } from "../identity";
import { ReviewService } from "./review.service";

const tags = ["reviews"];

export function reviewRoutes(ctx: ModuleContext): FastifyPluginAsync {
  return async (plugin) => {
    const app = plugin.withTypeProvider<ZodTypeProvider>();
    const service = new ReviewService(ctx);
    const reviewParams = idParams("reviewId");

    app.post(
      "/appointments/:appointmentId/review",
      {
        schema: {
          tags,
          summary: "Review your own completed appointment once (409 REVIEW_EXISTS, 409 APPOINTMENT_NOT_COMPLETED)",
          params: idParams("appointmentId"),
          body: createReviewRequestSchema,
          response: { 201: reviewSchema },
        },
      },
      async (request, reply) =>
        reply.code(201).send(await service.create(requireUser(request), actorOf(request), request.params.appointmentId, request.body)),
    );

    app.get(
      "/appointments/:appointmentId/review",
      { schema: { tags, summary: "Your review of this appointment, or 404", params: idParams("appointmentId"), response: { 200: reviewSchema } } },
      async (request) => service.ofAppointment(requireUser(request), request.params.appointmentId),
    );

    app.get(
      "/doctors/:doctorId/reviews",
      {
        schema: {
          tags,
          summary: "A doctor's visible reviews, newest first (public; reviewer as first name + initial); includeHidden for the doctor and moderators",
          params: idParams("doctorId"),
          querystring: reviewListQuerySchema,
          response: { 200: reviewPageSchema },
        },
      },
      async (request) => service.list(request.principal, request.params.doctorId, request.query),
    );

    app.post(
      "/reviews/:reviewId/reply",
      { schema: { tags, summary: "The doctor's reply, once (409 REPLY_EXISTS)", params: reviewParams, body: reviewReplyRequestSchema, response: { 201: reviewSchema } } },
      async (request, reply) =>
        reply.code(201).send(await service.reply(requireUser(request), actorOf(request), request.params.reviewId, request.body.text, "create")),
    );

    app.put(
      "/reviews/:reviewId/reply",
      { schema: { tags, summary: "Edit the doctor's reply (409 NO_REPLY)", params: reviewParams, body: reviewReplyRequestSchema, response: { 200: reviewSchema } } },
      async (request) => service.reply(requireUser(request), actorOf(request), request.params.reviewId, request.body.text, "edit"),
    );

    app.post(
      "/reviews/:reviewId/hide",
      {
        schema: {
          tags,
          summary: "Hide an abusive review (the clinic's admins, the platform); audited, the rating is recomputed",
          params: reviewParams,
          body: hideReviewRequestSchema,
          response: { 200: reviewSchema },
        },
      },
      async (request) => service.setHidden(requireUser(request), actorOf(request), request.params.reviewId, request.body.reason),
    );

    app.post(
      "/reviews/:reviewId/unhide",
      { schema: { tags, summary: "Show a hidden review again; audited, the rating is recomputed", params: reviewParams, response: { 200: reviewSchema } } },
      async (request) => service.setHidden(requireUser(request), actorOf(request), request.params.reviewId, null),
    );
  };
}
