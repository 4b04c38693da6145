import type { FastifyPluginAsync } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { createSpecialtyRequestSchema, specialtyListSchema, specialtySchema } from "@clinic/shared";
import type { ModuleContext } from "../../platform/module";
import { actorOf } from "../../platform/audit";
import { authorize, requireUser } from "../identity";
import { createSpecialty, listSpecialties } from "./specialty.service";

const tags = ["directory"];

export function specialtyRoutes(ctx: ModuleContext): FastifyPluginAsync {
  return async (plugin) => {
    const app = plugin.withTypeProvider<ZodTypeProvider>();
    app.get(
      "/specialties",
      { schema: { tags, summary: "Every specialty (public)", response: { 200: specialtyListSchema } } },
      async () => ({ items: await listSpecialties(ctx.orm.em) }),
    );
    app.post(
      "/specialties",
      {
        schema: {
          tags,
          summary: "Add a specialty (platform admin)",
          body: createSpecialtyRequestSchema,
          response: { 201: specialtySchema },
        },
      },
      async (request, reply) => {
        // No specialty permission exists: adding to the platform-wide catalogue is a platform-admin act.
        authorize(requireUser(request), "specialty.manage");
        return reply.code(201).send(await createSpecialty(ctx.orm.em, actorOf(request), request.body.name));
      },
    );
  };
}
