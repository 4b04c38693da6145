/**
 * The live queue's HTTP side (docs/queue.md): check-in, walk-ins, the queue lists, call-next, the
 * doctor and reception actions on one entry, and the display feed (the one route a display token
 * may call). Each handler validates (zod), guards (in the service) and calls one service function.
 */
import type { FastifyPluginAsync, FastifyRequest } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import type { EntityManager } from "@mikro-orm/postgresql";
import {
  callNextReplySchema,
  callNextRequestSchema,
  displaySnapshotSchema,
  idParams,
  patientLookupQuerySchema,
  patientLookupReplySchema,
  queueEntryVersionRequestSchema,
  queueEntryViewSchema,
  queueListQuerySchema,
  queueListSchema,
  reassignRequestSchema,
  reorderRequestSchema,
  selfCheckInRequestSchema,
  staffCheckInRequestSchema,
  walkInRequestSchema,
} from "@clinic/shared";
import type { ModuleContext } from "../../platform/module";
import { forbidden, unauthenticated } from "../../platform/errors";
import { actorOf } from "../../platform/audit";
import { authorize, requireUser } from "../identity";
import { principalFromDisplayToken } from "./display-token.service";
import { QueueActionService, type QueueAction } from "./queue.actions";
import { CallNextService } from "./queue.call-next";
import { CheckInService } from "./queue.checkin";
import { displayFeed } from "./queue.display";
import { lookupPatients } from "./queue.patients";
import { clinicQueue, doctorQueue } from "./queue.views";
import { WalkInService } from "./queue.walkin";

const tags = ["queue"];

const ENTRY_ACTIONS: [path: string, action: QueueAction, summary: string][] = [
  ["start", "start", "Doctor: the called patient is in the room (called → in_room; appointment in_consultation); 409 ALREADY_IN_ROOM naming the one still in"],
  ["finish", "finish", "Doctor: consultation over (in_room → done; appointment completed)"],
  ["send-back", "sendBack", "Doctor: back to waiting (called/in_room → waiting; in_consultation → checked_in)"],
  ["no-show", "noShow", "Doctor: the called patient did not come (called → no_show; appointment no_show)"],
  ["leave", "leave", "Reception: the patient left (waiting/called → left; appointment cancelled, slot freed)"],
];

export function queueRoutes(ctx: ModuleContext): FastifyPluginAsync {
  return async (plugin) => {
    const app = plugin.withTypeProvider<ZodTypeProvider>();
    const em = () => ctx.orm.em.fork() as unknown as EntityManager;
    const checkIns = new CheckInService(ctx);
    const walkIns = new WalkInService(ctx);
    const calls = new CallNextService(ctx);
    const actions = new QueueActionService(ctx);

    app.post(
      "/clinics/:clinicId/queue/check-in",
      { schema: { tags, summary: "Reception checks in a booked appointment of today (409 ALREADY_CHECKED_IN)", params: idParams("clinicId"), body: staffCheckInRequestSchema, response: { 201: queueEntryViewSchema } } },
      async (request, reply) => reply.code(201).send(await checkIns.byStaff(requireUser(request), actorOf(request), request.params.clinicId, request.body.appointmentId)),
    );

    app.post(
      "/appointments/:appointmentId/check-in",
      {
        schema: {
          tags,
          summary: "The patient checks in with the code on the clinic's waiting-room screen, within the clinic's window (422 CHECK_IN_CODE_INVALID / CHECK_IN_WINDOW)",
          params: idParams("appointmentId"),
          body: selfCheckInRequestSchema,
          response: { 201: queueEntryViewSchema },
        },
      },
      async (request, reply) => reply.code(201).send(await checkIns.bySelf(requireUser(request), actorOf(request), request.params.appointmentId, request.body.code)),
    );

    app.post(
      "/clinics/:clinicId/queue/walk-ins",
      {
        schema: {
          tags,
          summary: "Reception registers a walk-in or an emergency (409 NO_WALK_IN_CAPACITY with nextFreeAt)",
          params: idParams("clinicId"),
          body: walkInRequestSchema,
          response: { 201: queueEntryViewSchema },
        },
      },
      async (request, reply) => reply.code(201).send(await walkIns.register(requireUser(request), actorOf(request), request.params.clinicId, request.body)),
    );

    app.get(
      "/clinics/:clinicId/queue",
      { schema: { tags, summary: "The clinic's queue of a day (staff)", params: idParams("clinicId"), querystring: queueListQuerySchema, response: { 200: queueListSchema } } },
      async (request) => clinicQueue(em(), requireUser(request), request.params.clinicId, request.query.date),
    );

    app.get(
      "/clinics/:clinicId/queue/patients",
      {
        schema: {
          tags,
          summary: "Reception: find patients known to the clinic by name or phone (q), or resolve names (ids, comma-separated)",
          params: idParams("clinicId"),
          querystring: patientLookupQuerySchema,
          response: { 200: patientLookupReplySchema },
        },
      },
      async (request) => lookupPatients(em(), requireUser(request), request.params.clinicId, request.query),
    );

    app.get(
      "/doctors/:doctorId/queue",
      { schema: { tags, summary: "A doctor's queue today: their entries and the unassigned walk-ins", params: idParams("doctorId"), response: { 200: queueListSchema } } },
      async (request) => doctorQueue(em(), requireUser(request), request.params.doctorId),
    );

    app.post(
      "/doctors/:doctorId/queue/call-next",
      {
        schema: {
          tags,
          summary: "Call the next patient by the clinic's rule ({entry: null} when nobody waits); 409 ALREADY_CALLED naming the doctor's called patient",
          params: idParams("doctorId"),
          body: callNextRequestSchema,
          response: { 200: callNextReplySchema },
        },
      },
      async (request) => ({ entry: await calls.callNext(requireUser(request), actorOf(request), request.params.doctorId, request.body ?? {}) }),
    );

    for (const [path, action, summary] of ENTRY_ACTIONS) {
      app.post(
        `/queue-entries/:entryId/${path}`,
        { schema: { tags, summary, params: idParams("entryId"), body: queueEntryVersionRequestSchema, response: { 200: queueEntryViewSchema } } },
        async (request) => actions.transition(requireUser(request), actorOf(request), request.params.entryId, request.body.version, action),
      );
    }

    app.post(
      "/queue-entries/:entryId/reorder",
      { schema: { tags, summary: "Reception: set a manual rank (null clears) with a reason", params: idParams("entryId"), body: reorderRequestSchema, response: { 200: queueEntryViewSchema } } },
      async (request) => actions.reorder(requireUser(request), actorOf(request), request.params.entryId, request.body),
    );

    app.post(
      "/queue-entries/:entryId/reassign",
      { schema: { tags, summary: "Reception: hand a waiting entry over to another doctor of the clinic; its appointment moves too (a free slot of theirs, else an overbooked one)", params: idParams("entryId"), body: reassignRequestSchema, response: { 200: queueEntryViewSchema } } },
      async (request) => actions.reassign(requireUser(request), actorOf(request), request.params.entryId, request.body),
    );

    app.get(
      "/clinics/:clinicId/display",
      {
        config: { acceptsDisplayToken: true },
        schema: {
          tags,
          summary: "The anonymised waiting-room feed: a display token of this clinic (Bearer dsp_…), or the clinic's staff",
          params: idParams("clinicId"),
          response: { 200: displaySnapshotSchema },
        },
      },
      async (request, reply) => {
        await authorizeDisplay(ctx, request, request.params.clinicId);
        return reply.header("cache-control", "no-store").send(await displayFeed(em(), ctx.config.auth.jwtSecret, request.params.clinicId));
      },
    );
  };
}

/** A display token of this clinic (checked here: the auth hook leaves `dsp_` tokens to this route), or staff. */
async function authorizeDisplay(ctx: ModuleContext, request: FastifyRequest, clinicId: string): Promise<void> {
  const token = /^Bearer (dsp_\S+)$/i.exec(request.headers.authorization ?? "")?.[1];
  if (token) {
    const display = await principalFromDisplayToken(ctx.orm.em.fork() as unknown as EntityManager, token);
    if (!display) throw unauthenticated("UNAUTHENTICATED", "The display token is invalid or revoked");
    if (display.clinicId !== clinicId.toLowerCase()) throw forbidden("This display token belongs to another clinic");
    return;
  }
  authorize(requireUser(request), "clinic.display.read", { clinicId });
}
