import type { Redis } from "ioredis";

/**
 * Fixed-window attempt counters in Redis, shared by every node: per-IP and per-account limits on
 * login, registration, code verification and password reset.
 */
export interface AttemptLimiter {
  /** Counts one attempt; `allowed` is false once `limit` is exceeded within the window. */
  hit(key: string, limit: number, windowSeconds: number): Promise<{ allowed: boolean; retryAfterSeconds: number }>;
  /** How many attempts the window holds so far. */
  count(key: string): Promise<number>;
  reset(key: string): Promise<void>;
}

export function createAttemptLimiter(redis: Redis, prefix: string): AttemptLimiter {
  const keyOf = (key: string) => `${prefix}:attempts:${key}`;
  return {
    async hit(key, limit, windowSeconds) {
      const results = await redis.multi().incr(keyOf(key)).expire(keyOf(key), windowSeconds, "NX").ttl(keyOf(key)).exec();
      const count = Number(results?.[0]?.[1]);
      const ttl = Number(results?.[2]?.[1]);
      return { allowed: count <= limit, retryAfterSeconds: Math.max(ttl, 1) };
    },
    async count(key) {
      return Number((await redis.get(keyOf(key))) ?? 0);
    },
    async reset(key) {
      await redis.del(keyOf(key));
    },
  };
}
