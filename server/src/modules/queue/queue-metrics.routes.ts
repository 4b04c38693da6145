/**
 * GET /clinics/:clinicId/queue/metrics — today's queue figures for the clinic and per doctor
 * (docs/queue-eta.md). Clinic staff and the platform see every doctor's row; a doctor working at the
 * clinic sees the clinic totals and only their own row.
 */
import type { FastifyPluginAsync } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import type { EntityManager } from "@mikro-orm/postgresql";
import { idParams, queueMetricsQuerySchema, queueMetricsReplySchema } from "@clinic/shared";
import type { ModuleContext } from "../../platform/module";
import { findClinic } from "../directory";
import { authorize, can, requireUser } from "../identity";
import { readQueueMetrics, serviceDayOf } from "./queue-metrics";

export function queueMetricsRoutes(ctx: ModuleContext): FastifyPluginAsync {
  return async (plugin) => {
    const app = plugin.withTypeProvider<ZodTypeProvider>();
    app.get(
      "/clinics/:clinicId/queue/metrics",
      {
        schema: {
          tags: ["queue"],
          summary: "Today's queue figures: patients waiting, served, the longest current wait and the average wait, for the clinic and per doctor",
          params: idParams("clinicId"),
          querystring: queueMetricsQuerySchema,
          response: { 200: queueMetricsReplySchema },
        },
      },
      async (request) => {
        const user = requireUser(request);
        const { clinicId } = request.params;
        authorize(user, "clinic.queue.metrics.read", { clinicId });
        const em = ctx.orm.em.fork() as EntityManager;
        const clinic = await findClinic(em, clinicId);
        const now = new Date();
        const metrics = await readQueueMetrics(em, clinicId, serviceDayOf(now, clinic.timeZone));
        // A doctor (who is not also staff here) sees only their own row.
        const ownOnly = !can(user, "clinic.display.read", { clinicId });
        const doctorId = ownOnly ? user.doctorId : request.query.doctorId;
        return {
          clinicId,
          date: serviceDayOf(now, clinic.timeZone),
          at: now.toISOString(),
          clinic: metrics.clinic,
          doctors: doctorId ? metrics.doctors.filter((row) => row.doctorId === doctorId) : metrics.doctors,
        };
      },
    );
  };
}
