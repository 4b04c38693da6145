import type { FastifyPluginAsync } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import type { Redis } from "ioredis";
import { healthSchema, readinessSchema, type DependencyCheck, type ProcessRole } from "@clinic/shared";
import type { Orm } from "./db";
import { heartbeatCheck, lastHeartbeat } from "./heartbeat";
import type { Queues } from "./queues";
import { pingRedis, withTimeout } from "./redis";

const CHECK_TIMEOUT_MS = 1_500;

async function check(probe: () => Promise<Partial<Omit<DependencyCheck, "latencyMs">> | void>): Promise<DependencyCheck> {
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
  /** WORKER_HEARTBEAT_SECONDS: how fresh the worker fleet's heartbeat must be. */
  heartbeatSeconds: number;
  /** The socket gateway's readiness (api roles): whether it hears the events channel. */
  realtime?: { isListening(): boolean };
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
          summary:
            "Readiness: PostgreSQL, Redis, the job queue, the worker heartbeat and (api roles) the socket gateway's events channel, each with its status",
          response: { 200: readinessSchema, 503: readinessSchema },
        },
      },
      async (_request, reply) => {
        if (deps.isShuttingDown()) {
          // Draining (docs/operations.md, "Shutdown"): the load balancer is to send no new work here.
          return reply.code(503).send({ status: "not_ready", checks: { node: { status: "down", error: "shutting down" } } });
        }
        const [postgres, redis, queue, worker] = await Promise.all([
          check(async () => {
            await deps.orm.em.getConnection().execute("select 1");
          }),
          check(async () => {
            await pingRedis(deps.redis, CHECK_TIMEOUT_MS);
          }),
          check(async () => {
            return { detail: await deps.queues.get("maintenance").getJobCounts("waiting", "active", "delayed", "failed") };
          }),
          check(async () => heartbeatCheck(await lastHeartbeat(deps.redis, deps.prefix), deps.heartbeatSeconds)),
        ]);
        const { realtime } = deps;
        const checks = {
          postgres,
          redis,
          queue,
          worker,
          // A node that does not hear the events channel would leave its sockets without events.
          ...(realtime && {
            realtime: await check(async () => {
              if (!realtime.isListening()) throw new Error("not subscribed to the events channel");
            }),
          }),
        };
        // The API serves correctly without workers (a lapsed hold reads as free), so a silent worker
        // fleet only degrades an api node; a worker node without it is not ready.
        const optional = new Set(deps.role === "worker" ? [] : ["worker"]);
        const down = Object.entries(checks).filter(([, result]) => result.status === "down");
        const status = down.length === 0 ? "ready" : down.every(([name]) => optional.has(name)) ? "degraded" : "not_ready";
        return reply.code(status === "not_ready" ? 503 : 200).send({ status, checks });
      },
    );
  };
}
