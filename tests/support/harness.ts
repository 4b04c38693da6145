/**
 * Test helpers: a database and Redis key prefix per test file, in-process app instances on real
 * PostgreSQL and Redis, and real socket.io-client connections.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import pino from "pino";
import { io, type Socket } from "socket.io-client";
import { inject } from "vitest";
import type { RealtimeEventName, Topic } from "@clinic/shared";
import { loadConfig } from "../../server/src/config";
import { createClinicRuntime } from "../../server/src/app";
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

export interface TestApp {
  runtime: Runtime;
  /** Base URL when the role serves HTTP. */
  url: string;
  close(): Promise<void>;
}

/**
 * Builds and starts a runtime in this process. `beforeStart` may register routes, topics or an
 * authenticator the way modules do, before the server listens.
 *
 * A write's domain events reach their subscribers after its reply (docs/architecture.md); so that a
 * test can assert on their effects (a refund, a queued reminder, a socket event) right after a
 * reply, each reply here waits until this node has delivered what it started (`settleEvents: false`
 * to see replies as production sends them).
 */
export async function startTestApp(
  environment: TestEnvironment,
  options: { env?: Record<string, string>; beforeStart?: (runtime: Runtime) => void | Promise<void>; settleEvents?: boolean } = {},
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
  return { runtime, url, close: () => runtime.close() };
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

export async function waitFor<T>(probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== null && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
