/** /clinics: public listing and profile; creation, changes and activation for admins. */
import type { FastifyPluginAsync } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import {
  clinicListSchema,
  clinicSchema,
  createClinicRequestSchema,
  idParams,
  updateClinicRequestSchema,
} from "@clinic/shared";
import type { ModuleContext } from "../../platform/module";
import { actorOf } from "../../platform/audit";
import { authorize, can, requireUser } from "../identity";
import { createClinic, getClinic, listActiveClinics, setClinicActive, updateClinic } from "./clinic.service";

const tags = ["directory"];
const clinicParams = idParams("clinicId");

export function clinicRoutes(ctx: ModuleContext): FastifyPluginAsync {
  return async (plugin) => {
    const app = plugin.withTypeProvider<ZodTypeProvider>();
    const em = () => ctx.orm.em;

    app.get(
      "/clinics",
      { schema: { tags, summary: "Active clinics (public)", response: { 200: clinicListSchema } } },
      async () => ({ items: await listActiveClinics(em()) }),
    );

    app.get(
      "/clinics/:clinicId",
      {
        schema: {
          tags,
          summary: "One clinic (public while active; deactivated ones only for its admins)",
          params: clinicParams,
          response: { 200: clinicSchema },
        },
      },
      async (request) => {
        const { clinicId } = request.params;
        const includeInactive = request.principal !== null && can(request.principal, "clinic.update", { clinicId });
        return getClinic(em(), clinicId, { includeInactive });
      },
    );

    app.post(
      "/clinics",
      {
        schema: {
          tags,
          summary: "Create a clinic or a branch (platform admin)",
          body: createClinicRequestSchema,
          response: { 201: clinicSchema },
        },
      },
      async (request, reply) => {
        authorize(requireUser(request), "clinic.create");
        return reply.code(201).send(await createClinic(em(), actorOf(request), request.body));
      },
    );

    app.patch(
      "/clinics/:clinicId",
      {
        schema: {
          tags,
          summary: "Change a clinic (platform admin or its clinic admin; moving it under a parent: platform admin)",
          params: clinicParams,
          body: updateClinicRequestSchema,
          response: { 200: clinicSchema },
        },
      },
      async (request) => {
        const principal = requireUser(request);
        const { clinicId } = request.params;
        authorize(principal, "clinic.update", { clinicId });
        // The clinic hierarchy is the platform's, not one clinic's, to change.
        if (request.body.parentClinicId !== undefined) authorize(principal, "clinic.structure.manage");
        return updateClinic(em(), actorOf(request), clinicId, request.body);
      },
    );

    for (const [action, active] of [
      ["deactivate", false],
      ["activate", true],
    ] as const) {
      app.post(
        `/clinics/:clinicId/${action}`,
        {
          schema: {
            tags,
            summary: `${action === "activate" ? "Reactivate" : "Deactivate"} a clinic (platform admin)`,
            params: clinicParams,
            response: { 200: clinicSchema },
          },
        },
        async (request) => {
          authorize(requireUser(request), "clinic.structure.manage", { clinicId: request.params.clinicId });
          return setClinicActive(em(), actorOf(request), request.params.clinicId, active);
        },
      );
    }
  };
}
