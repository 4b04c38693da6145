/** /clinics/:clinicId/members: a clinic's receptionists and clinic admins. */
import type { FastifyPluginAsync } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { addClinicMemberRequestSchema, clinicMemberListSchema, clinicMemberSchema, idParams } from "@clinic/shared";
import type { ModuleContext } from "../../platform/module";
import { actorOf } from "../../platform/audit";
import { authorize, requireUser } from "../identity";
import { addMember, listMembers, removeMember } from "./membership.service";

const tags = ["directory"];

export function membershipRoutes(ctx: ModuleContext): FastifyPluginAsync {
  return async (plugin) => {
    const app = plugin.withTypeProvider<ZodTypeProvider>();
    const em = () => ctx.orm.em;

    app.get(
      "/clinics/:clinicId/members",
      {
        schema: {
          tags,
          summary: "Staff of a clinic (its staff or platform admin)",
          params: idParams("clinicId"),
          response: { 200: clinicMemberListSchema },
        },
      },
      async (request) => {
        authorize(requireUser(request), "clinic.members.read", { clinicId: request.params.clinicId });
        return { items: await listMembers(em(), request.params.clinicId) };
      },
    );

    app.post(
      "/clinics/:clinicId/members",
      {
        schema: {
          tags,
          summary: "Give an active account of the same role a staff role here (clinic admin or platform admin)",
          params: idParams("clinicId"),
          body: addClinicMemberRequestSchema,
          response: { 201: clinicMemberSchema },
        },
      },
      async (request, reply) => {
        authorize(requireUser(request), "clinic.members.manage", { clinicId: request.params.clinicId });
        return reply.code(201).send(await addMember(em(), actorOf(request), request.params.clinicId, request.body));
      },
    );

    app.delete(
      "/clinics/:clinicId/members/:membershipId",
      {
        schema: {
          tags,
          summary: "Remove a staff role (clinic admin or platform admin)",
          params: idParams("clinicId", "membershipId"),
          response: { 204: z.null().describe("Removed") },
        },
      },
      async (request, reply) => {
        authorize(requireUser(request), "clinic.members.manage", { clinicId: request.params.clinicId });
        await removeMember(em(), actorOf(request), request.params.clinicId, request.params.membershipId);
        return reply.code(204).send(null);
      },
    );
  };
}
