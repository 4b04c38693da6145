/**
 * Display tokens for waiting-room screens: created, listed and revoked by the clinic's admins (and
 * the platform). Revoking one also disconnects the screens using it, on every node.
 */
import type { FastifyPluginAsync } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import {
  createDisplayTokenRequestSchema,
  createdDisplayTokenSchema,
  displayTokenListSchema,
  displayTokenSchema,
  idParams,
} from "@clinic/shared";
import type { ModuleContext } from "../../platform/module";
import type { Realtime } from "../../platform/realtime";
import { actorOf } from "../../platform/audit";
import { authorize, requireUser } from "../identity";
import { createDisplayToken, displayTokenClinicId, listDisplayTokens, revokeDisplayToken } from "./display-token.service";
import { disconnectDisplayToken } from "./queue.realtime";

const tags = ["queue"];

export function displayTokenRoutes(ctx: ModuleContext, realtime: Realtime): FastifyPluginAsync {
  return async (plugin) => {
    const app = plugin.withTypeProvider<ZodTypeProvider>();
    const em = () => ctx.orm.em;

    app.post(
      "/clinics/:clinicId/display-tokens",
      {
        schema: {
          tags,
          summary: "Create a display token for a waiting-room screen (clinic admin or platform admin); the token is shown only in this reply",
          params: idParams("clinicId"),
          body: createDisplayTokenRequestSchema,
          response: { 201: createdDisplayTokenSchema },
        },
      },
      async (request, reply) => {
        authorize(requireUser(request), "clinic.displays.manage", { clinicId: request.params.clinicId });
        const created = await createDisplayToken(em(), actorOf(request), request.params.clinicId, request.body);
        return reply.code(201).header("cache-control", "no-store").send(created);
      },
    );

    app.get(
      "/clinics/:clinicId/display-tokens",
      {
        schema: {
          tags,
          summary: "A clinic's display tokens, live and revoked, newest first (never the tokens themselves)",
          params: idParams("clinicId"),
          response: { 200: displayTokenListSchema },
        },
      },
      async (request) => {
        authorize(requireUser(request), "clinic.displays.manage", { clinicId: request.params.clinicId });
        return { items: await listDisplayTokens(em(), request.params.clinicId) };
      },
    );

    app.delete(
      "/display-tokens/:id",
      {
        schema: {
          tags,
          summary: "Revoke a display token (idempotent); screens using it are disconnected at once",
          params: idParams("id"),
          response: { 200: displayTokenSchema },
        },
      },
      async (request) => {
        const user = requireUser(request);
        const clinicId = await displayTokenClinicId(em(), request.params.id);
        authorize(user, "clinic.displays.manage", { clinicId });
        const revoked = await revokeDisplayToken(em(), actorOf(request), request.params.id);
        // After commit, and on every repeat too: a retry also retries the disconnection.
        disconnectDisplayToken(realtime, revoked.id);
        return revoked;
      },
    );
  };
}
