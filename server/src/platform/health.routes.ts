import type { FastifyPluginAsync } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import type { Redis } from "ioredis";
import { healthSchema, readinessSchema, type DependencyCheck, type ProcessRole } from "@clinic/shared";
import type { Orm } from "./db";
import { lastHeartbeat } from "./heartbeat";
import type { Queues } from "./queues";
import { pingRedis, withTimeout } from "./redis";

const CHECK_TIMEOUT_MS = 1_500;

async function check(probe: () => Promise<Omit<DependencyCheck, "status" | "latencyMs"> | void>): Promise<DependencyCheck> {
  const started = performance.now();
  try {
    const extra = await withTimeout(probe(), CHECK_TIMEOUT_MS, "check");
    return { status: "up", latencyMs: Math.round(performance.now() - started), ...(extra ?? {}) };
  } catch (error) {
    return { status: "down", latencyMs: Math.round(performance.now() - started), error: (error as Error).message };
  }
}

/** Liveness (the process answers) and readiness (its dependencies answer), for load balancers and humans. */
export function healthRoutes(deps: {
  orm: Orm;
  redis: Redis;
  queues: Queues;
  prefix: string;
  role: ProcessRole;
  version: string;
  /** From the shutdown signal on the node is not ready, whatever its dependencies say. */
  isShuttingDown: () => boolean;
}): FastifyPluginAsync {
  return async (app) => {
    const api = app.withTypeProvider<ZodTypeProvider>();
    api.get(
      "/health",
      { schema: { tags: ["ops"], summary: "Liveness", response: { 200: healthSchema } } },
      async () => ({
        status: "ok" as const,
        version: deps.version,
        role: deps.role,
        uptimeSeconds: Math.round(process.uptime()),
      }),
    );
    api.get(
      "/ready",
      {
        schema: {
          tags: ["ops"],
          summary: "Readiness: PostgreSQL, Redis and the job queue, each with its status",
          response: { 200: readinessSchema, 503: readinessSchema },
        },
      },
      async (_request, reply) => {
        if (deps.isShuttingDown()) {
          // Draining (docs/operations.md, "Shutdown"): the load balancer is to send no new work here.
          return reply.code(503).send({ status: "not_ready", checks: { node: { status: "down", error: "shutting down" } } });
        }
        const [postgres, redis, queue] = await Promise.all([
          check(async () => {
            await deps.orm.em.getConnection().execute("select 1");
          }),
          check(async () => {
            await pingRedis(deps.redis, CHECK_TIMEOUT_MS);
          }),
          check(async () => {
            const counts = await deps.queues.get("maintenance").getJobCounts("waiting", "active", "delayed", "failed");
            // Workers are informational: the API serves correctly without them.
            return { detail: { ...counts, lastWorkerHeartbeat: await lastHeartbeat(deps.redis, deps.prefix) } };
          }),
        ]);
        const checks = { postgres, redis, queue };
        const ready = Object.values(checks).every((c) => c.status === "up");
        return reply.code(ready ? 200 : 503).send({ status: ready ? "ready" : "not_ready", checks });
      },
    );
  };
}
