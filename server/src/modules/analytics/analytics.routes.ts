/** GET /clinics/:clinicId/analytics{,/heatmap,.csv} and /analytics/platform (docs/analytics.md). */
import type { FastifyPluginAsync, FastifyRequest } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import type { EntityManager } from "@mikro-orm/postgresql";
import { analyticsQuerySchema, analyticsReplySchema, heatmapReplySchema, idParams, platformAnalyticsQuerySchema, platformAnalyticsReplySchema, type AnalyticsQuery } from "@clinic/shared";
import type { ModuleContext } from "../../platform/module";
import { authorize, requireUser } from "../identity";
import { analyticsCsv, clinicAnalytics, clinicHeatmap, platformAnalytics } from "./analytics.service";

const tags = ["analytics"];

export function analyticsRoutes(ctx: ModuleContext): FastifyPluginAsync {
  return async (plugin) => {
    const app = plugin.withTypeProvider<ZodTypeProvider>();
    const em = () => ctx.orm.em.fork() as EntityManager;
    /** A doctor reads their own figures only: without `doctorId` the scope is the clinic, which is the admins'. */
    const guard = (request: FastifyRequest, clinicId: string, query: AnalyticsQuery) =>
      authorize(requireUser(request), "clinic.analytics.read", { clinicId, ...(query.doctorId ? { doctorId: query.doctorId } : {}) });

    app.get(
      "/clinics/:clinicId/analytics",
      {
        schema: {
          tags,
          summary: "A clinic's (or one doctor's) bookings, cancellations, no-shows, occupancy, waits, revenue and ratings over local days, per doctor and per day",
          params: idParams("clinicId"),
          querystring: analyticsQuerySchema,
          response: { 200: analyticsReplySchema },
        },
      },
      async (request) => {
        guard(request, request.params.clinicId, request.query);
        return clinicAnalytics(em(), request.params.clinicId, request.query);
      },
    );

    app.get(
      "/clinics/:clinicId/analytics.csv",
      {
        schema: {
          tags,
          summary: "The same figures as CSV: the clinic's row, one per doctor, one per day",
          params: idParams("clinicId"),
          querystring: analyticsQuerySchema,
        },
      },
      async (request, reply) => {
        guard(request, request.params.clinicId, request.query);
        const body = analyticsCsv(await clinicAnalytics(em(), request.params.clinicId, request.query));
        const name = `analytics-${request.query.from}-to-${request.query.to}.csv`;
        return reply.type("text/csv; charset=utf-8").header("content-disposition", `attachment; filename="${name}"`).send(body);
      },
    );

    app.get(
      "/clinics/:clinicId/analytics/heatmap",
      {
        schema: {
          tags,
          summary: "Bookable and booked minutes of regular slots by weekday and hour (the clinic's zone)",
          params: idParams("clinicId"),
          querystring: analyticsQuerySchema,
          response: { 200: heatmapReplySchema },
        },
      },
      async (request) => {
        guard(request, request.params.clinicId, request.query);
        return clinicHeatmap(em(), request.params.clinicId, request.query);
      },
    );

    app.get(
      "/analytics/platform",
      {
        schema: {
          tags,
          summary: "Every clinic's bookings, patients, doctors and revenue over UTC days, and the platform's sign-ups (platform admins)",
          querystring: platformAnalyticsQuerySchema,
          response: { 200: platformAnalyticsReplySchema },
        },
      },
      async (request) => {
        authorize(requireUser(request), "platform.analytics.read");
        return platformAnalytics(em(), request.query);
      },
    );
  };
}
