import type { Redis } from "ioredis";
import Redlock, { ExecutionError, ResourceLockedError, type Lock } from "redlock";
import { withTimeout } from "./redis";

export interface Locks {
  /**
   * Takes the lock at once or not at all: contenders get `null` rather than queueing behind a hot
   * resource (the booking hot path answers them SLOT_BUSY). Throws when Redis cannot say, within
   * the client's command timeout: the caller goes on without admission control.
   */
  tryAcquire(resource: string, ttlMs: number): Promise<Lock | null>;
  release(lock: Lock): Promise<void>;
}

/** Admission locks on `redis`, a fail-fast client (createRedis with a command timeout). */
export function createLocks(redis: Redis, prefix: string): Locks {
  const redlock = new Redlock([redis], { retryCount: 0, driftFactor: 0.01, automaticExtensionThreshold: 500 });
  // Unreachable-quorum errors surface through tryAcquire; the event only adds noise.
  redlock.on("error", () => undefined);
  // A failed acquire also tries to undo a partial lock: two commands, so bound the whole call.
  const timeoutMs = redis.options.commandTimeout ?? 1_000;
  return {
    async tryAcquire(resource, ttlMs) {
      try {
        return await withTimeout(redlock.acquire([`${prefix}:lock:${resource}`], ttlMs), timeoutMs, "lock");
      } catch (error) {
        if (error instanceof ExecutionError && (await heldByAnother(error))) return null;
        throw error;
      }
    },
    async release(lock) {
      // A lock that already lapsed is fine to "release": the fencing version in PostgreSQL guards truth.
      await lock.release().catch(() => undefined);
    },
  };
}

/** True when the attempt failed only because the resource is locked, not because Redis failed. */
async function heldByAnother(error: ExecutionError): Promise<boolean> {
  const attempts = await Promise.all(error.attempts);
  return attempts.every((stats) =>
    [...stats.votesAgainst.values()].every((vote) => vote instanceof ResourceLockedError),
  );
}
