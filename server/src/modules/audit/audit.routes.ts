import type { FastifyPluginAsync } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import type { EntityManager } from "@mikro-orm/postgresql";
import { auditPageSchema, auditQuerySchema } from "@clinic/shared";
import type { ModuleContext } from "../../platform/module";
import { authorize, requireUser } from "../identity";
import { queryAudit } from "./audit.query";

/** The audit trail is read-only through the API: there is no route that updates or deletes it. */
export function auditRoutes(ctx: ModuleContext): FastifyPluginAsync {
  return async (app) => {
    app.withTypeProvider<ZodTypeProvider>().get(
      "/audit",
      {
        schema: {
          tags: ["audit"],
          summary: "Query the audit trail (platform admins: everything; clinic admins: their clinic's events)",
          querystring: auditQuerySchema,
          response: { 200: auditPageSchema },
        },
      },
      async (request) => {
        const principal = requireUser(request);
        authorize(principal, "audit.read", { clinicId: request.query.clinicId });
        return queryAudit(ctx.orm.em.fork() as EntityManager, request.query);
      },
    );
  };
}
