import { Redis } from "ioredis";
import type { Logger } from "pino";

/**
 * A Redis client for commands. BullMQ needs `maxRetriesPerRequest: null` on its connections; for
 * ours a bounded retry makes a dead Redis fail requests quickly instead of hanging them.
 */
export function createRedis(url: string, purpose: string, options: { log?: Logger; forQueue?: boolean } = {}): Redis {
  const redis = new Redis(url, {
    connectionName: `clinic-live:${purpose}`,
    maxRetriesPerRequest: options.forQueue ? null : 2,
    enableReadyCheck: true,
    lazyConnect: false,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
  });
  logConnectionErrors(redis, purpose, options.log);
  return redis;
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
