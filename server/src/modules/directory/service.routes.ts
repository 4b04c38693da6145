/** /clinics/:clinicId/services: public list of active services; changes by the clinic's admins. */
import type { FastifyPluginAsync } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import {
  clinicServiceListSchema,
  clinicServiceSchema,
  createClinicServiceRequestSchema,
  idParams,
  updateClinicServiceRequestSchema,
} from "@clinic/shared";
import type { ModuleContext } from "../../platform/module";
import { actorOf } from "../../platform/audit";
import { authorize, requireUser } from "../identity";
import { createService, deactivateService, listActiveServices, updateService } from "./service.service";

const tags = ["directory"];

export function serviceRoutes(ctx: ModuleContext): FastifyPluginAsync {
  return async (plugin) => {
    const app = plugin.withTypeProvider<ZodTypeProvider>();
    const em = () => ctx.orm.em;

    app.get(
      "/clinics/:clinicId/services",
      {
        schema: {
          tags,
          summary: "A clinic's active services (public)",
          params: idParams("clinicId"),
          response: { 200: clinicServiceListSchema },
        },
      },
      async (request) => ({ items: await listActiveServices(em(), request.params.clinicId) }),
    );

    app.post(
      "/clinics/:clinicId/services",
      {
        schema: {
          tags,
          summary: "Add a service (clinic admin or platform admin); names are unique per clinic",
          params: idParams("clinicId"),
          body: createClinicServiceRequestSchema,
          response: { 201: clinicServiceSchema },
        },
      },
      async (request, reply) => {
        authorize(requireUser(request), "clinic.services.manage", { clinicId: request.params.clinicId });
        return reply.code(201).send(await createService(em(), actorOf(request), request.params.clinicId, request.body));
      },
    );

    app.patch(
      "/clinics/:clinicId/services/:serviceId",
      {
        schema: {
          tags,
          summary: "Change a service (clinic admin or platform admin)",
          params: idParams("clinicId", "serviceId"),
          body: updateClinicServiceRequestSchema,
          response: { 200: clinicServiceSchema },
        },
      },
      async (request) => {
        const { clinicId, serviceId } = request.params;
        authorize(requireUser(request), "clinic.services.manage", { clinicId });
        return updateService(em(), actorOf(request), clinicId, serviceId, request.body);
      },
    );

    app.delete(
      "/clinics/:clinicId/services/:serviceId",
      {
        schema: {
          tags,
          summary: "Deactivate a service (clinic admin or platform admin); it stays for history",
          params: idParams("clinicId", "serviceId"),
          response: { 200: clinicServiceSchema },
        },
      },
      async (request) => {
        const { clinicId, serviceId } = request.params;
        authorize(requireUser(request), "clinic.services.manage", { clinicId });
        return deactivateService(em(), actorOf(request), clinicId, serviceId);
      },
    );
  };
}
