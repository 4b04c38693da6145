/**
 * Availability search and suggestions (public, staff detail behind schedule.internal.read), booking
 * rules (clinic.schedule.manage) and elastic blocks (schedule.manage).
 */
import type { FastifyPluginAsync } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import {
  allocationReplySchema,
  bookingRuleCheckReplySchema,
  bookingRuleCheckRequestSchema,
  bookingRuleListSchema,
  bookingRuleSchema,
  createAllocationRequestSchema,
  createBookingRuleRequestSchema,
  createElasticBlockRequestSchema,
  elasticBlockSchema,
  elasticOfferListSchema,
  elasticOffersQuerySchema,
  idParams,
  moveAllocationRequestSchema,
  resizeAllocationRequestSchema,
  slotSearchPageSchema,
  slotSearchQuerySchema,
  slotSuggestionsQuerySchema,
  slotSuggestionsSchema,
  underusedBlockListSchema,
  underusedQuerySchema,
  updateBookingRuleRequestSchema,
} from "@clinic/shared";
import type { ModuleContext } from "../../platform/module";
import { forbidden, invalid, unauthenticated } from "../../platform/errors";
import { actorOf } from "../../platform/audit";
import { authorizePatientRead } from "../directory";
import { authorize, can, requireUser } from "../identity";
import { searchSlots } from "./availability-search.service";
import {
  bookingRuleClinicId,
  checkBookingRules,
  createBookingRule,
  deleteBookingRule,
  listBookingRules,
  updateBookingRule,
} from "./booking-rules.service";
import {
  allocationScope,
  changeAllocation,
  createAllocation,
  createElasticBlock,
  elasticBlockScope,
  elasticOffers,
  getElasticBlock,
  type AllocationChange,
} from "./elastic.service";
import { slotSuggestions, underusedBlocks } from "./suggestions.service";

const tags = ["scheduling"];
const DAY = 86_400_000;

/**
 * The search's reply as built, without zod re-encoding it: `searchSlots` builds every item field by
 * field from typed rows (the schema stays the route's contract, for OpenAPI, the handler's type and
 * the tests' `readJson`). Re-validating ~50 items cost about as much as the rest of the route's own
 * work (docs/performance.md, docs/decisions.md).
 */
const builtReply = () => (page: unknown) => JSON.stringify(page);

export function searchRoutes(ctx: ModuleContext): FastifyPluginAsync {
  return async (plugin) => {
    const app = plugin.withTypeProvider<ZodTypeProvider>();
    const em = () => ctx.orm.em;

    // ------------------------------------------------------------ availability search

    app.get(
      "/slots",
      {
        schema: {
          tags,
          summary:
            "Free slots and elastic offers in (start, id) order, keyset pages. Public; staff of the clinic (or the doctor) " +
            "see every kind, notes and tags, and may filter by status",
          querystring: slotSearchQuerySchema,
          response: { 200: slotSearchPageSchema },
        },
        serializerCompiler: builtReply,
      },
      async (request) => {
        const query = request.query;
        const principal = request.principal;
        const internal = principal !== null && can(principal, "schedule.internal.read", { clinicId: query.clinicId, doctorId: query.doctorId });
        if (query.status !== undefined && !internal) {
          if (!principal) throw unauthenticated("UNAUTHENTICATED");
          throw forbidden("Filtering by status is for the clinic's staff (give clinicId) or the doctor");
        }
        const now = new Date();
        const from = query.from ? new Date(query.from) : now;
        const to = query.to ? new Date(query.to) : new Date(from.getTime() + 7 * DAY);
        if (to.getTime() - from.getTime() > 92 * DAY) {
          throw invalid("query.to", "at most 92 days after from");
        }
        if (to <= from) {
          throw invalid("query.to", "must be after from");
        }
        return searchSlots(
          em(),
          { ...query, from, to, statuses: query.status ?? ["available"] },
          { internal, now },
        );
      },
    );

    app.get(
      "/slots/suggestions",
      {
        schema: {
          tags,
          summary: "Earliest free slot per doctor of a specialty, times like a patient's past bookings, the least-loaded doctor",
          querystring: slotSuggestionsQuerySchema,
          response: { 200: slotSuggestionsSchema },
        },
      },
      async (request) => {
        const { patientId } = request.query;
        let auditReadBy;
        if (patientId !== undefined) {
          const principal = requireUser(request);
          const patient = await authorizePatientRead(em(), principal, patientId);
          if (principal.userId !== patient.userId) auditReadBy = actorOf(request);
        }
        return slotSuggestions(em(), request.query, { auditReadBy });
      },
    );

    app.get(
      "/clinics/:clinicId/underused-blocks",
      {
        schema: {
          tags,
          summary: "Hours (or days) where under 30% of a doctor's bookable slots are booked (clinic staff)",
          params: idParams("clinicId"),
          querystring: underusedQuerySchema,
          response: { 200: underusedBlockListSchema },
        },
      },
      async (request) => {
        authorize(requireUser(request), "schedule.internal.read", { clinicId: request.params.clinicId });
        return underusedBlocks(em(), request.params.clinicId, request.query);
      },
    );

    // ------------------------------------------------------------ booking rules

    app.get(
      "/clinics/:clinicId/booking-rules",
      {
        schema: { tags, summary: "A clinic's booking rules (clinic admin)", params: idParams("clinicId"), response: { 200: bookingRuleListSchema } },
      },
      async (request) => {
        authorize(requireUser(request), "clinic.schedule.manage", { clinicId: request.params.clinicId });
        return { items: await listBookingRules(em(), request.params.clinicId) };
      },
    );

    app.post(
      "/clinics/:clinicId/booking-rules",
      {
        schema: {
          tags,
          summary: "Add a booking rule, clinic-wide or for one doctor and/or service (clinic admin)",
          params: idParams("clinicId"),
          body: createBookingRuleRequestSchema,
          response: { 201: bookingRuleSchema },
        },
      },
      async (request, reply) => {
        authorize(requireUser(request), "clinic.schedule.manage", { clinicId: request.params.clinicId });
        return reply.code(201).send(await createBookingRule(em(), actorOf(request), request.params.clinicId, request.body));
      },
    );

    app.patch(
      "/booking-rules/:ruleId",
      {
        schema: {
          tags,
          summary: "Change a booking rule (clinic admin)",
          params: idParams("ruleId"),
          body: updateBookingRuleRequestSchema,
          response: { 200: bookingRuleSchema },
        },
      },
      async (request) => {
        authorize(requireUser(request), "clinic.schedule.manage", { clinicId: await bookingRuleClinicId(em(), request.params.ruleId) });
        return updateBookingRule(em(), actorOf(request), request.params.ruleId, request.body);
      },
    );

    app.delete(
      "/booking-rules/:ruleId",
      { schema: { tags, summary: "Delete a booking rule (clinic admin)", params: idParams("ruleId"), response: { 204: z.null() } } },
      async (request, reply) => {
        authorize(requireUser(request), "clinic.schedule.manage", { clinicId: await bookingRuleClinicId(em(), request.params.ruleId) });
        await deleteBookingRule(em(), actorOf(request), request.params.ruleId);
        return reply.code(204).send(null);
      },
    );

    app.post(
      "/clinics/:clinicId/booking-rules/check",
      {
        schema: {
          tags,
          summary: "Every active rule a booking of this slot would break (anyone signed in)",
          params: idParams("clinicId"),
          body: bookingRuleCheckRequestSchema,
          response: { 200: bookingRuleCheckReplySchema },
        },
      },
      async (request) => {
        requireUser(request);
        const violations = await checkBookingRules(em(), request.params.clinicId, request.body.slotId, {
          patientActiveBookings: request.body.patientActiveBookings,
        });
        return { violations };
      },
    );

    // ------------------------------------------------------------ elastic blocks

    app.post(
      "/doctors/:doctorId/elastic-blocks",
      {
        schema: {
          tags,
          summary: "Open an elastic block in a doctor's day (the doctor, clinic staff, platform admin); it may not overlap live slots or blocks",
          params: idParams("doctorId"),
          body: createElasticBlockRequestSchema,
          response: { 201: elasticBlockSchema },
        },
      },
      async (request, reply) => {
        const { doctorId } = request.params;
        authorize(requireUser(request), "schedule.manage", { clinicId: request.body.clinicId, doctorId });
        return reply.code(201).send(await createElasticBlock(em(), actorOf(request), doctorId, request.body));
      },
    );

    app.get(
      "/elastic-blocks/:blockId",
      {
        schema: { tags, summary: "A block with its allocations (the doctor, clinic staff)", params: idParams("blockId"), response: { 200: elasticBlockSchema } },
      },
      async (request) => {
        authorize(requireUser(request), "schedule.internal.read", await elasticBlockScope(em(), request.params.blockId));
        return getElasticBlock(em(), request.params.blockId);
      },
    );

    app.get(
      "/elastic-blocks/:blockId/offers",
      {
        schema: {
          tags,
          summary: "Start times where an allocation of a service's length (or of minutes) fits (public)",
          params: idParams("blockId"),
          querystring: elasticOffersQuerySchema,
          response: { 200: elasticOfferListSchema },
        },
      },
      async (request) => {
        const result = await elasticOffers(em(), request.params.blockId, request.query);
        return {
          minutes: result.minutes,
          items: result.items.map((offer) => ({ ...offer, start: offer.start.toISOString(), end: offer.end.toISOString() })),
        };
      },
    );

    app.post(
      "/elastic-blocks/:blockId/allocations",
      {
        schema: {
          tags,
          summary: "Propose an allocation, packed in at the end or at `position` (schedule.manage); 409 BLOCK_FULL when it does not fit",
          params: idParams("blockId"),
          body: createAllocationRequestSchema,
          response: { 201: allocationReplySchema },
        },
      },
      async (request, reply) => {
        authorize(requireUser(request), "schedule.manage", await elasticBlockScope(em(), request.params.blockId));
        const outcome = await createAllocation(em(), actorOf(request), request.params.blockId, request.body);
        return reply.code(201).send(outcome.reply);
      },
    );

    const changes: [string, z.ZodType | null, (body: unknown) => AllocationChange, string][] = [
      ["confirm", null, () => ({ kind: "confirm" }), "Confirm a proposed allocation"],
      ["free", null, () => ({ kind: "free" }), "Free an allocation: later ones move earlier; its place can be refilled"],
      ["move", moveAllocationRequestSchema, (body) => ({ kind: "move", ...(body as { position: number }) }), "Move an allocation to a position"],
      ["resize", resizeAllocationRequestSchema, (body) => ({ kind: "resize", ...(body as { minutes: number }) }), "Shrink or extend; 409 BLOCK_FULL on overflow"],
    ];
    for (const [verb, body, toChange, summary] of changes) {
      app.post(
        `/elastic-allocations/:allocationId/${verb}`,
        {
          schema: {
            tags,
            summary: `${summary} (schedule.manage); later allocations are re-timed`,
            params: idParams("allocationId"),
            ...(body ? { body } : {}),
            response: { 200: allocationReplySchema },
          },
        },
        async (request) => {
          authorize(requireUser(request), "schedule.manage", await allocationScope(em(), request.params.allocationId));
          const outcome = await changeAllocation(em(), actorOf(request), request.params.allocationId, toChange(request.body));
          return outcome.reply;
        },
      );
    }
  };
}
