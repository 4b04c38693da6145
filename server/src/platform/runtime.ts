import type { AddressInfo } from "node:net";
import { setTimeout as delay } from "node:timers/promises";
import type { EntitySchema } from "@mikro-orm/core";
import type { EntityManager } from "@mikro-orm/postgresql";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import type { Config } from "../config";
import { createOrm, type Orm } from "./db";
import { healthRoutes } from "./health.routes";
import { beat, workerHeartbeatJob } from "./heartbeat";
import { API_PREFIX, createHttpApp, type HttpApp } from "./http";
import { createLocks, type Locks } from "./locks";
import { createAttemptLimiter } from "./attempts";
import { createEventPublisher, type EventPublisher } from "./events";
import { createMetrics, type Metrics } from "./metrics";
import { migrateWithLock } from "./migrate";
import type { Module, ModuleContext, Ports } from "./module";
import { createOutbox, type Outbox } from "./outbox";
import { createProbeApp } from "./probe-http";
import { registerQueueBoard } from "./queue-board";
import { createQueues, startWorkers, type JobDefinition, type Queues, type Workers } from "./queues";
import { createRealtime, type Realtime } from "./realtime";
import { closeRedis, createRedis, untilReady, withTimeout } from "./redis";
import packageJson from "../../package.json" with { type: "json" };

export const VERSION = packageJson.version;

/** How long start-up waits for Redis before serving without it (booking on PostgreSQL alone, sign-in 503). */
const REDIS_START_WAIT_MS = 5_000;

export interface Runtime {
  config: Config;
  log: Logger;
  orm: Orm;
  redis: Redis;
  locks: Locks;
  queues: Queues;
  metrics: Metrics;
  /** Publishes real-time events (after commit) from any role. */
  events: EventPublisher;
  /** Domain events: recorded in transactions, delivered to the modules' subscribers after commit. */
  outbox: Outbox;
  /** What the modules were built with. */
  context: ModuleContext;
  /** The API (api, all), or on a worker node only its probes (/health, /ready). */
  http?: HttpApp;
  realtime?: Realtime;
  /** Listens (api; a worker node for its probes) and starts the workers (worker); resolves with the URL. */
  start(): Promise<string | undefined>;
  /**
   * Reports not ready for SHUTDOWN_DRAIN_SECONDS, drains HTTP, closes sockets, lets running jobs
   * finish, then closes connections; all of it by one deadline (`by`, epoch ms; default
   * SHUTDOWN_TIMEOUT_SECONDS from now), at which it logs what did not finish and resolves. Idempotent.
   */
  close(options?: { by?: number }): Promise<void>;
}

/**
 * Wires one process of the given role onto PostgreSQL and Redis, and mounts every module of
 * `modules` from its descriptor: its ports, subscribers, jobs, HTTP hooks, socket principals,
 * topics and routes (docs/architecture.md). Names no module itself.
 */
export async function createRuntime(options: {
  config: Config;
  log: Logger;
  databaseUrl: string;
  redisUrl: string;
  modules: readonly Module[];
  entities: EntitySchema[];
  /** Seeds demo data on an api node when demo mode is on (the composition root's). */
  seed?: (em: EntityManager, log: Logger) => Promise<void>;
}): Promise<Runtime> {
  const { config, log, databaseUrl, redisUrl, modules } = options;
  const prefix = config.redis.prefix;
  const servesApi = config.role !== "worker";
  const runsWorker = config.role !== "api";

  const orm = await createOrm(databaseUrl, { entities: options.entities });
  if (config.database.migrateOnStart) await migrateWithLock(orm, databaseUrl, log);
  if (config.demoSeed && servesApi && options.seed) await options.seed(orm.em.fork() as EntityManager, log);

  // Requests wait on these two; they fail fast while Redis is away (docs/operations.md).
  const redis = createRedis(redisUrl, "commands", { log, commandTimeoutMs: config.redis.commandTimeoutMs });
  const locks = createLocks(redis, prefix);
  const queues = createQueues(redisUrl, prefix, log, config.redis.commandTimeoutMs);
  const metrics = createMetrics(queues);
  const attempts = createAttemptLimiter(redis, prefix);
  const events = createEventPublisher(redis, prefix, metrics);
  const outbox = createOutbox({ orm, log, sweepEveryMs: config.domainEvents.sweepEverySeconds * 1000 });
  // Filled by the modules' `provide` before anything uses it.
  const ports = {} as Ports;
  const context: ModuleContext = { config, log, orm, redis, attempts, events, queues, outbox, ports };
  for (const module of modules) Object.assign(ports, module.provide?.(context));
  outbox.subscribe(modules.flatMap((module) => module.subscribers?.(context) ?? []));
  const jobs: JobDefinition<never>[] = [
    workerHeartbeatJob(redis, prefix, config.worker.heartbeatSeconds),
    ...modules.flatMap((module) => module.jobs?.(context) ?? []),
  ];

  let http: HttpApp | undefined;
  let realtime: Realtime | undefined;
  let isShuttingDown = false;
  if (servesApi) {
    http = await createHttpApp({ config, log, orm, redis, metrics, version: VERSION, isShuttingDown: () => isShuttingDown });
    const gateway = createRealtime({ httpServer: http.server, redis, redisUrl, prefix, log, metrics });
    realtime = gateway;
    http.addHook("preClose", async () => gateway.disconnectAll());
    // Each module that understands a kind of socket credential answers for it; nobody: refused.
    const resolvers = modules.flatMap((module) => (module.socketPrincipal ? [module.socketPrincipal(context)] : []));
    gateway.setAuthenticator(async (auth) => {
      for (const resolve of resolvers) {
        const principal = await resolve(auth);
        if (principal !== undefined) return principal;
      }
      return null;
    });
    for (const module of modules) module.http?.(http, context);
    for (const module of modules) module.topics?.(gateway, context);
    await http.register(
      async (api) => {
        for (const module of modules) if (module.routes) await api.register(module.routes(context, { realtime: gateway }));
      },
      { prefix: API_PREFIX },
    );
    await registerQueueBoard(http, { config, queues, access: ports.boardAccess });
  } else {
    // A worker node serves only the probes, so its readiness can be asked (docs/operations.md).
    http = createProbeApp(log);
  }
  await http.register(healthRoutes({ orm, redis, queues, prefix, role: config.role, version: VERSION, heartbeatSeconds: config.worker.heartbeatSeconds, realtime, isShuttingDown: () => isShuttingDown }), {
    prefix: API_PREFIX,
  });

  let workers: Workers | undefined;
  let closing: Promise<void> | undefined;

  /** Each step gets what is left until `deadline`; once it has passed, the rest are left undone. */
  async function shutdown(deadline: number): Promise<void> {
    isShuttingDown = true;
    let unfinished: string | undefined;
    const step = async (what: string, action: () => Promise<unknown>) => {
      if (unfinished) return;
      const remainingMs = deadline - Date.now();
      if (remainingMs <= 0) {
        unfinished = what;
        return;
      }
      let isSettled = false;
      try {
        await withTimeout(action().finally(() => (isSettled = true)), remainingMs, what);
      } catch (error) {
        if (isSettled) log.warn({ err: error }, `shutdown: ${what} did not finish cleanly`);
        else unfinished = what;
      }
    };
    // /ready now answers 503 while everything else is still served: a load balancer polling it
    // takes this node out of rotation before it stops accepting connections.
    if (http && config.shutdownDrainMs > 0) await step("drain", () => delay(config.shutdownDrainMs));
    if (http) await step("http", () => http.close());
    if (realtime) await step("sockets", () => realtime.close());
    const running = workers;
    if (running) await step("workers", () => running.close());
    await step("domain events", () => outbox.stop());
    await step("queues", () => queues.close());
    await step("database", () => orm.close());
    await step("redis", () => closeRedis(redis));
    if (unfinished) {
      log.error("shutdown did not finish within %d s (SHUTDOWN_TIMEOUT_SECONDS): %s and what follows it were left", config.shutdownTimeoutMs / 1000, unfinished);
    }
  }

  return {
    config,
    log,
    orm,
    redis,
    locks,
    queues,
    metrics,
    events,
    outbox,
    context,
    http,
    realtime,
    async start() {
      let url: string | undefined;
      // Every role re-delivers what a dead node or a failed subscriber left (the database decides who).
      outbox.start();
      // The commands client refuses commands until connected: let it connect before the first request.
      if (!(await untilReady(redis, REDIS_START_WAIT_MS))) log.warn("Redis is not reachable; serving without it until it is back");
      if (http) {
        await http.listen({ host: config.http.host, port: config.http.port });
        const address = http.server.address() as AddressInfo;
        const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
        url = `http://${host === "0.0.0.0" ? "127.0.0.1" : host}:${address.port}`;
      }
      if (runsWorker) {
        const lockMs = config.worker.lockSeconds * 1000;
        workers = await startWorkers({
          redisUrl, prefix, queues, jobs, log, lockDurationMs: lockMs, stalledIntervalMs: lockMs,
          scheduleCheckMs: config.worker.scheduleCheckSeconds * 1000,
        });
        await beat(redis, prefix, config.worker.heartbeatSeconds);
      }
      return url;
    },
    close(options = {}) {
      closing ??= shutdown(options.by ?? Date.now() + config.shutdownTimeoutMs);
      return closing;
    },
  };
}
