/**
 * The test harness: a database and Redis key prefix per test file, in-process app instances on real
 * PostgreSQL and Redis (started per file, or per describe with `useStarted`), real socket.io-client
 * connections, `waitFor` and `readJson`. What the tests write comes from `factories.ts`; HTTP calls
 * are in `api.ts` and SQL reads in `db.ts`.
 */
import os from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import pg from "pg";
import pino from "pino";
import type { Queue } from "bullmq";
import { io, type Socket } from "socket.io-client";
import { afterAll, beforeAll, inject } from "vitest";
import type { EventEnvelope, RealtimeEventName, SubscribeAck, Topic } from "@clinic/shared";
import { loadConfig } from "../../server/src/config";
import { createClinicRuntime } from "../../server/src/app";
import { topicStateKey } from "../../server/src/platform/events";
import { OwnRedis } from "./redis";
import type { Runtime } from "../../server/src/platform/runtime";

export function uniqueName(prefix = "t"): string {
  return `${prefix}_${randomBytes(6).toString("hex")}`;
}

export function databaseUrl(name: string): string {
  const url = new URL(inject("adminDatabaseUrl"));
  url.pathname = `/${name}`;
  return url.toString();
}

export async function withAdminClient<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: inject("adminDatabaseUrl") });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * A new database for this test file: a clone of the migrated template, or empty (`migrated: false`).
 * PostgreSQL refuses concurrent clones of one template ("being accessed by other users"), so retry.
 */
export async function createTestDatabase(options: { migrated?: boolean } = {}): Promise<{ name: string; url: string }> {
  const name = uniqueName("db");
  const template = options.migrated === false ? "template0" : inject("templateDatabase");
  await withAdminClient(async (client) => {
    for (let attempt = 0; ; attempt++) {
      try {
        await client.query(`CREATE DATABASE ${name} TEMPLATE ${template}`);
        return;
      } catch (error) {
        if ((error as { code?: string }).code !== "55006" || attempt > 50) throw error;
        await new Promise((resolve) => setTimeout(resolve, 50 + Math.random() * 100));
      }
    }
  });
  return { name, url: databaseUrl(name) };
}

/** What one test file shares between its app instances: a database and a Redis key prefix. */
export interface TestEnvironment {
  databaseUrl: string;
  redisUrl: string;
  prefix: string;
}

export async function createTestEnvironment(): Promise<TestEnvironment> {
  const database = await createTestDatabase();
  return { databaseUrl: database.url, redisUrl: inject("redisUrl"), prefix: uniqueName("p") };
}

/**
 * An environment on a Redis server of its own, started here and stopped by `close`: for tests that
 * flush or kill Redis, which on the run's shared server would take every other file's keys too.
 */
export async function createOwnRedisEnvironment(): Promise<TestEnvironment & { redis: OwnRedis; close(): Promise<void> }> {
  const redis = await OwnRedis.started();
  const database = await createTestDatabase();
  return {
    databaseUrl: database.url,
    redisUrl: redis.url,
    prefix: uniqueName("p"),
    redis,
    close: () => redis.close(),
  };
}

export interface TestApp {
  runtime: Runtime;
  /** Base URL when the role serves HTTP. */
  url: string;
  close(): Promise<void>;
}

/** What factories and database helpers need of an app: its runtime (so `{ runtime }` will do too). */
export type HasRuntime = Pick<TestApp, "runtime">;

/**
 * Builds and starts a runtime in this process. `beforeStart` may register routes, topics or an
 * authenticator the way modules do, before the server listens.
 *
 * A write's domain events reach their subscribers after its reply (docs/architecture.md); so that a
 * test can assert on their effects (a refund, a queued reminder, a socket event) right after a
 * reply, each reply here waits until this node has delivered what it started (`settleEvents: false`
 * to see replies as production sends them). It resolves once an api node hears the events channel
 * (`awaitEventsChannel: false` to start one that cannot yet).
 */
export async function startTestApp(
  environment: TestEnvironment,
  options: {
    env?: Record<string, string>;
    beforeStart?: (runtime: Runtime) => void | Promise<void>;
    settleEvents?: boolean;
    /** Wait until an api node hears the events channel (default), as its /ready would say. */
    awaitEventsChannel?: boolean;
  } = {},
): Promise<TestApp> {
  const config = loadConfig({
    NODE_ENV: "test",
    ROLE: "api",
    HOST: "127.0.0.1",
    PORT: "0",
    DATABASE_URL: environment.databaseUrl,
    REDIS_URL: environment.redisUrl,
    REDIS_PREFIX: environment.prefix,
    MIGRATE_ON_START: "false",
    DEMO_SEED: "false",
    LOG_LEVEL: "silent",
    WEB_DIST_DIR: "/nonexistent",
    // Uploaded files of this environment, out of the working tree.
    FILE_STORAGE_DIR: path.join(os.tmpdir(), "clinic-live-test-files", environment.prefix),
    SHUTDOWN_TIMEOUT_SECONDS: "5",
    // As if behind the load balancer: tests give clients distinct addresses with X-Forwarded-For.
    TRUST_PROXY: "true",
    ...options.env,
  });
  const runtime = await createClinicRuntime({
    config,
    log: pino({ level: config.logLevel }),
    databaseUrl: environment.databaseUrl,
    redisUrl: environment.redisUrl,
  });
  if (options.settleEvents !== false) runtime.http?.addHook("onSend", async () => runtime.outbox.idle());
  await options.beforeStart?.(runtime);
  const url = (await runtime.start()) ?? "";
  // A worker's start runs the sweeps (and each new schedule's first run): let them finish on the
  // empty database, so they do not race what the tests then write and sweep themselves.
  if (config.role !== "api") await waitFor(async () => (await queuesIdle(runtime)) || undefined, 20_000);
  // Started as a load balancer sees it (/ready): an api node hears the events channel before it gets clients.
  const { realtime } = runtime;
  if (realtime && options.awaitEventsChannel !== false) await waitFor(() => realtime.isListening());
  return { runtime, url, close: () => runtime.close() };
}

/** No job waiting or running on any queue (delayed ones, like the schedules' next runs, may wait). */
async function queuesIdle(runtime: Runtime): Promise<boolean> {
  const counts = await Promise.all(runtime.queues.all().map((queue) => queue.getJobCounts("waiting", "active", "prioritized")));
  return counts.every((count) => Object.values(count).every((n) => n === 0));
}

/**
 * An api node on a fresh environment, its rate limit out of the way (a test makes many calls from
 * one address); `env` adds to or overrides that.
 */
export async function startApp(env: Record<string, string> = {}): Promise<TestApp> {
  return startTestApp(await createTestEnvironment(), { env: { RATE_LIMIT_MAX: "100000", ...env } });
}

/** An api node and a worker node (ROLE=worker, which runs the jobs) on one environment, both with `env`. */
export async function startApiAndWorker(
  env: Record<string, string> = {},
  environment?: TestEnvironment,
): Promise<{ environment: TestEnvironment; api: TestApp; worker: TestApp; close(): Promise<void> }> {
  const shared = environment ?? (await createTestEnvironment());
  const api = await startTestApp(shared, { env });
  const worker = await startTestApp(shared, { env: { ...env, ROLE: "worker" } });
  return {
    environment: shared,
    api,
    worker,
    async close() {
      await worker.close();
      await api.close();
    },
  };
}

/** What `current()` returns, read through late: reading it before there is one throws. */
function lateView<T extends object>(current: () => T | undefined): T {
  return new Proxy({} as T, {
    get(_target, property) {
      const value = current();
      if (!value) throw new Error(`read ${String(property)} before the start ran (use it inside tests or hooks)`);
      return Reflect.get(value, property);
    },
  });
}

/**
 * Starts something in a `beforeAll` of the enclosing describe (or file) and closes it in the
 * matching `afterAll`; returns a view of it whose properties can be read once the start has run
 * (inside tests and later hooks). Hooks the file registers after this run after the start and
 * before the close.
 */
export function useStarted<T extends { close(): Promise<void> }>(start: () => Promise<T>, timeoutMs?: number): T {
  let started: T | undefined;
  beforeAll(async () => {
    started = await start();
  }, timeoutMs);
  afterAll(async () => started?.close());
  return lateView(() => started);
}

/** `startTestApp` on a fresh environment, for the enclosing describe (see `useStarted`). */
export const useTestApp = (options: Parameters<typeof startTestApp>[1] = {}): TestApp =>
  useStarted(async () => startTestApp(await createTestEnvironment(), options));

/** `startApp(env)` for the enclosing describe (see `useStarted`). */
export const useApp = (env: Record<string, string> = {}): TestApp => useStarted(() => startApp(env));

/** `startApiAndWorker(env)` for the enclosing describe (see `useStarted`). */
export function useApiAndWorker(env: Record<string, string> = {}): { api: TestApp; worker: TestApp } {
  const apps = useStarted(() => startApiAndWorker(env));
  return { api: lateView(() => apps.api), worker: lateView(() => apps.worker) };
}

/** Reads a JSON reply through the contract's schema, so a drifting shape fails the test. */
export async function readJson<T>(response: Response, schema: { parse(value: unknown): T }): Promise<T> {
  return schema.parse(await response.json());
}

export function connectSocket(url: string, auth: Record<string, unknown> = {}): Socket {
  return io(url, { auth, transports: ["websocket"], reconnection: false, forceNew: true });
}

/** Publishes through the gateway unchecked: its own tests use topics and names outside the shared map on purpose. */
export function publishUnchecked(runtime: Runtime, topic: string, type: string, data: unknown) {
  return runtime.events.publish(topic as Topic, type as RealtimeEventName, data as never);
}

/** Resolves once the socket connects, or rejects with the server's refusal. */
export function connected(socket: Socket): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once("connect", () => resolve());
    socket.once("connect_error", (error) => reject(error));
  });
}

export const subscribe = (socket: Socket, topic: string) =>
  socket.timeout(5_000).emitWithAck("subscribe", { topic }) as Promise<SubscribeAck>;

/** A connected socket (added to `opened`, for the file to close) that records every event it receives. */
export async function listen(app: TestApp, token: string, opened: Socket[]) {
  const socket = connectSocket(app.url, { token });
  opened.push(socket);
  const events: EventEnvelope[] = [];
  socket.on("event", (envelope: EventEnvelope) => events.push(envelope));
  await connected(socket);
  return { socket, events, of: (topic: string) => events.filter((event) => event.topic === topic) };
}

/** The last sequence number published on `topic` (in its current epoch). */
export async function seqOf(app: HasRuntime, topic: string): Promise<number> {
  return Number((await app.runtime.redis.hget(topicStateKey(app.runtime.config.redis.prefix, topic), "seq")) ?? 0);
}

export async function waitFor<T>(probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== null && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Waits until the BullMQ job `jobId` exists and has completed, then until the apps in `settle` have
 * delivered their domain events (a job's consequences follow its commit, like a request's); returns
 * the job's result.
 */
export async function jobResult<R = unknown>(queue: Queue, jobId: string, options: { settle?: HasRuntime[]; timeoutMs?: number } = {}): Promise<R> {
  // Read after completion: a job read earlier carries no result.
  const job = await waitFor(async () => ((await queue.getJobState(jobId)) === "completed" ? queue.getJob(jobId) : undefined), options.timeoutMs ?? 20_000);
  for (const app of options.settle ?? []) await app.runtime.outbox.idle();
  return job.returnvalue as R;
}

/** Waits (up to 5 s) until `probe` holds, e.g. until a socket has seen the events a test expects. */
export const settle = async (probe: () => boolean) => waitFor(() => probe() || undefined, 5_000);
