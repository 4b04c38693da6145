import { Redis } from "ioredis";
import type { Logger } from "pino";

/**
 * A Redis client. Its commands wait in an offline queue while it reconnects, at most two reconnects;
 * with `waitForRedis` they wait however long Redis is away (`maxRetriesPerRequest: null`: BullMQ's
 * connections need it, and a subscriber whose subscribe must not be lost to an outage at start-up).
 *
 * With `commandTimeoutMs` it fails fast instead, for the clients requests wait on (docs/operations.md,
 * "When Redis is down"): a command issued while Redis is unreachable fails at once (no offline
 * queue, so nothing stale is replayed when Redis returns), and one that gets no answer (a frozen
 * Redis, a peer gone without a reset) fails after `commandTimeoutMs`. Wait for `untilReady` before
 * such a client's first command.
 */
export function createRedis(
  url: string,
  purpose: string,
  options: { log?: Logger; waitForRedis?: boolean; commandTimeoutMs?: number } = {},
): Redis {
  const failFast = options.commandTimeoutMs === undefined ? {} : { enableOfflineQueue: false, commandTimeout: options.commandTimeoutMs };
  const redis = new Redis(url, {
    connectionName: `clinic-live:${purpose}`,
    maxRetriesPerRequest: options.waitForRedis ? null : 2,
    enableReadyCheck: true,
    lazyConnect: false,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
    ...failFast,
  });
  logConnectionErrors(redis, purpose, options.log);
  return redis;
}

/** Resolves true once the client is ready, or false when it is not within `timeoutMs` (Redis down). */
export function untilReady(redis: Redis, timeoutMs: number): Promise<boolean> {
  if (redis.status === "ready") return Promise.resolve(true);
  return new Promise((resolve) => {
    const settle = (ready: boolean) => {
      clearTimeout(timer);
      redis.off("ready", onReady);
      resolve(ready);
    };
    const onReady = () => settle(true);
    const timer = setTimeout(() => settle(false), timeoutMs);
    redis.once("ready", onReady);
  });
}

/**
 * Clients reconnect by themselves; an unheard "error" event would crash the process (ioredis) or
 * spam stderr (BullMQ). Log at most one line per client every 30 s.
 */
export function logConnectionErrors(
  emitter: { on(event: "error", listener: (error: Error) => void): unknown },
  purpose: string,
  log?: Logger,
): void {
  let lastLogged = 0;
  emitter.on("error", (error) => {
    if (Date.now() - lastLogged < 30_000) return;
    lastLogged = Date.now();
    log?.warn({ err: error, purpose }, "redis connection error (retrying)");
  });
}

/** Resolves with the round trip in ms, or rejects after `timeoutMs`. */
export async function pingRedis(redis: Redis, timeoutMs: number): Promise<number> {
  const started = performance.now();
  await withTimeout(redis.ping(), timeoutMs, "redis ping");
  return performance.now() - started;
}

export function withTimeout<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  // If the timeout wins, the late rejection must not surface as an unhandled one.
  promise.catch(() => undefined);
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${timeoutMs} ms`)), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Closes a client politely, falling back to a hard disconnect when Redis is unreachable. */
export async function closeRedis(redis: Redis): Promise<void> {
  if (redis.status === "end") return;
  if (redis.status !== "ready") {
    redis.disconnect();
    return;
  }
  try {
    await withTimeout(redis.quit(), 1_000, "redis quit");
  } catch {
    redis.disconnect();
  }
}
