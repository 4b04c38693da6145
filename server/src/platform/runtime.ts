import type { AddressInfo } from "node:net";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import type { Config } from "../config";
import { seedDemo } from "../seed/demo";
import { createOrm, type Orm } from "./db";
import { healthRoutes } from "./health.routes";
import { workerHeartbeatJob } from "./heartbeat";
import { API_PREFIX, createHttpApp, type HttpApp } from "./http";
import { createLocks, type Locks } from "./locks";
import { createAttemptLimiter } from "./attempts";
import { createEventPublisher, type EventPublisher } from "./events";
import { registerAuthentication } from "../modules/identity/authenticate";
import { principalFromToken } from "../modules/identity/principal";
import { moduleRoutes } from "../modules/routes";
import { bookingJobs } from "../modules/booking/booking.jobs";
import { reminderJobs } from "../modules/reminders/reminders.jobs";
import { lifecycleJobs } from "../modules/booking/appointment-lifecycle.jobs";
import { waitlistJobs } from "../modules/waitlist/waitlist.jobs";
import { schedulingJobs } from "../modules/scheduling/scheduling.jobs";
import { notificationJobs } from "../modules/notifications/notifications.jobs";
import { etaJobs } from "../modules/queue/eta.jobs";
import { registerBookingTopics } from "../modules/booking/booking.realtime";
import { displayTokenRoutes } from "../modules/queue/display-token.routes";
import { principalFromDisplayToken } from "../modules/queue/display-token.service";
import { registerQueueTopics } from "../modules/queue/queue.realtime";
import { createMetrics, type Metrics } from "./metrics";
import { migrateWithLock } from "./migrate";
import { registerQueueBoard } from "./queue-board";
import { createQueues, startWorkers, type JobDefinition, type Queues, type Workers } from "./queues";
import { createRealtime, type Realtime } from "./realtime";
import { closeRedis, createRedis, withTimeout } from "./redis";
import packageJson from "../../package.json" with { type: "json" };

export const VERSION = packageJson.version;

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
  /** Present when the role serves the API (api, all). */
  http?: HttpApp;
  realtime?: Realtime;
  /** Listens (api) and starts the workers (worker); resolves with the URL when serving HTTP. */
  start(): Promise<string | undefined>;
  /** Drains HTTP, closes sockets, lets running jobs finish, then closes connections. Idempotent. */
  close(): Promise<void>;
}

/**
 * Wires one process of the given role onto PostgreSQL and Redis. Modules register their routes,
 * topics and jobs here as they arrive.
 */
export async function createRuntime(options: {
  config: Config;
  log: Logger;
  databaseUrl: string;
  redisUrl: string;
}): Promise<Runtime> {
  const { config, log, databaseUrl, redisUrl } = options;
  const prefix = config.redis.prefix;
  const servesApi = config.role !== "worker";
  const runsWorker = config.role !== "api";

  const orm = await createOrm(databaseUrl);
  if (config.database.migrateOnStart) await migrateWithLock(orm, databaseUrl, log);
  if (config.demoSeed && servesApi) {
    const { created } = await seedDemo(orm.em.fork(), { production: config.isProduction });
    if (created > 0) log.info({ created }, "seeded the demo clinic");
  }

  const redis = createRedis(redisUrl, "commands", { log });
  const locks = createLocks(redis, prefix);
  const queues = createQueues(redisUrl, prefix, log);
  const metrics = createMetrics(queues);
  const attempts = createAttemptLimiter(redis, prefix);
  const events = createEventPublisher(redis, prefix, metrics);
  const moduleContext = { config, log, orm, redis, attempts, events, queues };
  const jobs: JobDefinition<never>[] = [
    workerHeartbeatJob(redis, prefix, config.worker.heartbeatSeconds),
    ...bookingJobs(moduleContext),
    ...reminderJobs(moduleContext),
    ...lifecycleJobs(moduleContext),
    ...waitlistJobs(moduleContext),
    ...schedulingJobs(moduleContext),
    ...notificationJobs(moduleContext),
    ...etaJobs(moduleContext),
  ];

  let http: HttpApp | undefined;
  let realtime: Realtime | undefined;
  if (servesApi) {
    http = await createHttpApp({ config, log, orm, redis, metrics, version: VERSION });
    const gateway = createRealtime({ httpServer: http.server, redis, redisUrl, prefix, log, metrics });
    realtime = gateway;
    http.addHook("preClose", async () => gateway.disconnectAll());
    // Sockets authenticate with the same access tokens as HTTP (`auth.token`), or, for waiting-room
    // screens, with a display token (`auth.displayToken`); never both. Display tokens open no HTTP route.
    gateway.setAuthenticator(async (auth) => {
      const { token, displayToken } = auth;
      if (displayToken !== undefined) {
        return typeof displayToken === "string" && token === undefined ? principalFromDisplayToken(orm.em.fork(), displayToken) : null;
      }
      return typeof token === "string" ? principalFromToken(orm.em.fork(), config.auth.jwtSecret, token) : null;
    });
    registerAuthentication(http, config.auth.jwtSecret);
    registerBookingTopics(gateway, moduleContext);
    registerQueueTopics(gateway, moduleContext);
    await http.register(healthRoutes({ orm, redis, queues, prefix, role: config.role, version: VERSION }), {
      prefix: API_PREFIX,
    });
    await http.register(moduleRoutes(moduleContext), { prefix: API_PREFIX });
    // Registered here rather than in moduleRoutes: revoking a display token disconnects its sockets.
    await http.register(displayTokenRoutes(moduleContext, gateway), { prefix: API_PREFIX });
    await registerQueueBoard(http, { config, orm, queues });
  }

  let workers: Workers | undefined;
  let closing: Promise<void> | undefined;

  async function shutdown(): Promise<void> {
    const step = async (what: string, action: () => Promise<unknown>) => {
      try {
        await withTimeout(action(), config.shutdownTimeoutMs, what);
      } catch (error) {
        log.warn({ err: error }, `shutdown: ${what} did not finish cleanly`);
      }
    };
    if (http) await step("http drain", () => http.close());
    if (realtime) await step("sockets", () => realtime.close());
    const running = workers;
    if (running) await step("workers", () => running.close());
    await step("queues", () => queues.close());
    await step("database", () => orm.close());
    await step("redis", () => closeRedis(redis));
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
    http,
    realtime,
    async start() {
      let url: string | undefined;
      if (http) {
        await http.listen({ host: config.http.host, port: config.http.port });
        const address = http.server.address() as AddressInfo;
        const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
        url = `http://${host === "0.0.0.0" ? "127.0.0.1" : host}:${address.port}`;
      }
      if (runsWorker) {
        const lockMs = config.worker.lockSeconds * 1000;
        workers = await startWorkers({ redisUrl, prefix, queues, jobs, log, lockDurationMs: lockMs, stalledIntervalMs: lockMs });
      }
      return url;
    },
    close() {
      closing ??= shutdown();
      return closing;
    },
  };
}
