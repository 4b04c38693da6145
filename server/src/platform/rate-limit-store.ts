import type { FastifyRateLimitStore, FastifyRateLimitStoreCtor } from "@fastify/rate-limit";
import type { Redis } from "ioredis";
import type { Logger } from "pino";

/** How many counters one node keeps at most; past it the counter whose window ends first is dropped. */
export const DEFAULT_TRACKED_KEYS = 50_000;

/**
 * The general rate limit's counts (docs/operations.md, "Rate limiting"), answered from this node's
 * memory and reconciled with Redis in the background, so no request waits on Redis.
 *
 * Each node counts its own requests per key and window. Every `syncMs` it adds what it counted
 * since its last sync to the key's Redis counter (INCRBY, and PEXPIRE when the counter is new, so a
 * window starts at the first count Redis hears of and lasts the window, as with the plugin's own
 * Redis store), every key in one script call (per 1,000 keys), and learns each key's cluster-wide
 * total and window end. A key's count is the total last learnt + what this node counted since.
 *
 * The limit is exact on one node: a node never admits more than `max` on its own counts. Across N
 * nodes a key can pass `max` by at most what the other nodes admitted for it since each one's last
 * sync before the last node to sync learnt the total; each node syncs every `syncMs`, so that is at
 * most one sync interval of each other node's admissions: (N − 1) × min(max, per-node rate ×
 * interval). Without Redis each node goes on limiting on its own counts, and pushes them once Redis
 * is back.
 */
export interface RateLimitCounts {
  /** The store class for @fastify/rate-limit's `store` option (the plugin constructs it). */
  readonly Store: FastifyRateLimitStoreCtor;
  /** Keys this node holds a count for. */
  readonly trackedKeys: number;
  /** Syncs now (after the sync in flight, if any), as the timer does. */
  sync(): Promise<void>;
  /** Resolves when a sync that started after the call has ended (whether Redis answered or not). */
  synced(): Promise<void>;
  /** Stops syncing, after pushing what this node counted since its last sync. */
  close(): Promise<void>;
}

/** One key's count in its current window. */
interface WindowCount {
  readonly redisKey: string;
  readonly windowMs: number;
  /** When this window ends (epoch ms): the first local count + the window, then Redis's end once learnt. */
  endsAt: number;
  /** The same end on Redis's clock, once learnt (0 before): counts made in it never reach a later window. */
  redisEndsAt: number;
  /** The cluster-wide total Redis last answered (this node's pushed counts included). */
  learnt: number;
  /** Counted here and in flight to Redis. */
  pushing: number;
  /** Counted here since. */
  pending: number;
  /** On the list of counts the next sync pushes. */
  isQueued: boolean;
}

/**
 * Adds each counter's new counts and answers its total and remaining ms (then Redis's clock, once).
 * A counter's window starts at its first count (PEXPIRE when it has no expiry), as in the plugin's
 * own Redis store. Counts made in a window that has ended on Redis's clock are dropped (answered
 * -1): added to the key, they would open or swell the next window.
 * ARGV per key: counts to add, the window in ms, the end (Redis clock, ms) of the window they were
 * made in or 0 when not learnt yet.
 */
const SYNC_SCRIPT = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local answers = {}
for i, key in ipairs(KEYS) do
  local countedUntil = tonumber(ARGV[i * 3])
  if countedUntil > 0 and now >= countedUntil then
    answers[#answers + 1] = -1
    answers[#answers + 1] = 0
  else
    local total = redis.call('INCRBY', key, ARGV[i * 3 - 2])
    local ttl = redis.call('PTTL', key)
    if ttl < 0 then
      ttl = tonumber(ARGV[i * 3 - 1])
      redis.call('PEXPIRE', key, ttl)
    end
    answers[#answers + 1] = total
    answers[#answers + 1] = ttl
  end
end
answers[#answers + 1] = now
return answers
`;

type SyncingRedis = Redis & { syncRateLimitCounts(keyCount: number, ...keysAndArgs: (string | number)[]): Promise<number[]> };

/** Keys per script call, so a sync after a flood of addresses does not hold Redis for long. */
const KEYS_PER_CALL = 1_000;
/** At most one warning every 30 s while Redis is away (platform/redis.ts logs the connection errors). */
const WARN_EVERY_MS = 30_000;

export function createRateLimitCounts(options: {
  redis: Redis;
  /** Prefix of every counter's Redis key. */
  namespace: string;
  syncMs: number;
  log: Logger;
  maxKeys?: number;
}): RateLimitCounts {
  const { syncMs, log } = options;
  const maxKeys = options.maxKeys ?? DEFAULT_TRACKED_KEYS;
  const redis = options.redis as SyncingRedis;
  if (!redis.syncRateLimitCounts) redis.defineCommand("syncRateLimitCounts", { lua: SYNC_SCRIPT });
  // Insertion order is window-start order, so the front holds the windows that end first.
  const counts = new Map<string, WindowCount>();
  let queued: WindowCount[] = [];
  let syncing: Promise<void> | undefined;
  let waiters: (() => void)[] = [];
  let lastWarnedAt = 0;
  let isClosed = false;

  /** Drops ended windows from the front; one a sync moved later stops the sweep until it ends too. */
  function dropEnded(now: number): void {
    for (const [redisKey, windowCount] of counts) {
      if (windowCount.endsAt > now) return;
      counts.delete(redisKey);
    }
  }

  function startWindow(redisKey: string, windowMs: number, now: number): WindowCount {
    counts.delete(redisKey);
    dropEnded(now);
    // Past the cap, forget the window that ends first (its unpushed counts still go out with the next sync).
    if (counts.size >= maxKeys) counts.delete(counts.keys().next().value!);
    const windowCount: WindowCount = { redisKey, windowMs, endsAt: now + windowMs, redisEndsAt: 0, learnt: 0, pushing: 0, pending: 0, isQueued: false };
    counts.set(redisKey, windowCount);
    return windowCount;
  }

  function countOne(redisKey: string, windowMs: number): { current: number; ttl: number } {
    const now = Date.now();
    let windowCount = counts.get(redisKey);
    if (!windowCount || windowCount.endsAt <= now) windowCount = startWindow(redisKey, windowMs, now);
    windowCount.pending++;
    queue(windowCount);
    return { current: windowCount.learnt + windowCount.pushing + windowCount.pending, ttl: windowCount.endsAt - now };
  }

  function queue(windowCount: WindowCount): void {
    if (windowCount.isQueued) return;
    windowCount.isQueued = true;
    queued.push(windowCount);
  }

  /** Adds what `batch` counted to Redis and learns each key's total and window end. */
  async function pushBatch(batch: WindowCount[]): Promise<void> {
    const keys = batch.map((windowCount) => windowCount.redisKey);
    const args = batch.flatMap((windowCount) => [windowCount.pushing, windowCount.windowMs, windowCount.redisEndsAt]);
    let answers: number[];
    try {
      answers = await redis.syncRateLimitCounts(keys.length, ...keys, ...args);
    } catch (error) {
      for (const windowCount of batch) {
        // Counted on with what comes next, and pushed once Redis answers.
        windowCount.pending += windowCount.pushing;
        windowCount.pushing = 0;
        queue(windowCount);
      }
      if (Date.now() - lastWarnedAt >= WARN_EVERY_MS) {
        lastWarnedAt = Date.now();
        log.warn({ err: error }, "rate limit counts not synced with Redis; each node limits on its own counts");
      }
      return;
    }
    const answeredAt = Date.now();
    const redisNow = answers[answers.length - 1]!;
    batch.forEach((windowCount, index) => {
      const total = answers[index * 2]!;
      const ttl = answers[index * 2 + 1]!;
      windowCount.pushing = 0;
      // Dropped by Redis: this window has ended there, so it ends here too.
      if (total < 0) {
        windowCount.endsAt = Math.min(windowCount.endsAt, answeredAt);
        return;
      }
      windowCount.learnt = total;
      // Measured from the answer, so this node's window ends no earlier than Redis's.
      windowCount.endsAt = answeredAt + ttl;
      windowCount.redisEndsAt = redisNow + ttl;
    });
  }

  async function push(): Promise<void> {
    const now = Date.now();
    dropEnded(now);
    // A window that ended here is not pushed: it has ended in Redis too.
    const live = queued.filter((windowCount) => windowCount.endsAt > now);
    for (const windowCount of queued) windowCount.isQueued = false;
    queued = [];
    for (const windowCount of live) {
      windowCount.pushing = windowCount.pending;
      windowCount.pending = 0;
    }
    const calls = [];
    for (let start = 0; start < live.length; start += KEYS_PER_CALL) calls.push(pushBatch(live.slice(start, start + KEYS_PER_CALL)));
    await Promise.all(calls);
  }

  /** One sync at a time; whoever waited for a sync when it started is settled when it ends. */
  function runSync(): Promise<void> {
    if (syncing) return syncing;
    const settled = waiters;
    waiters = [];
    syncing = push().finally(() => {
      syncing = undefined;
      for (const settle of settled) settle();
    });
    return syncing;
  }

  /** After the sync in flight, if any: it may have taken its counts before the caller's. */
  async function syncNow(): Promise<void> {
    await syncing;
    await runSync();
  }

  const timer = setInterval(() => void runSync(), syncMs);
  timer.unref();

  class SyncedRateLimitStore implements FastifyRateLimitStore {
    constructor(
      _pluginOptions: unknown,
      private readonly keyPrefix = options.namespace,
    ) {}

    incr(key: string, callback: (error: Error | null, result?: { current: number; ttl: number }) => void, timeWindow: number): void {
      callback(null, countOne(this.keyPrefix + key, timeWindow));
    }

    /** A route with its own `config.rateLimit` counts under its own keys (named as the plugin's Redis store names them). */
    child(routeOptions: Parameters<FastifyRateLimitStore["child"]>[0]): FastifyRateLimitStore {
      // The plugin passes the route's merged limit options, with the route under `routeInfo`.
      const { routeInfo } = routeOptions as unknown as { routeInfo: { method?: string; url?: string } };
      return new SyncedRateLimitStore(undefined, `${this.keyPrefix}${routeInfo.method}${routeInfo.url}-`);
    }
  }

  return {
    Store: SyncedRateLimitStore,
    get trackedKeys() {
      return counts.size;
    },
    sync: syncNow,
    synced() {
      if (isClosed) return Promise.resolve();
      // A sync in flight may have taken its counts before the caller's requests: wait for the next.
      return new Promise((resolve) => waiters.push(resolve));
    },
    async close() {
      if (isClosed) return;
      isClosed = true;
      clearInterval(timer);
      await syncNow();
    },
  };
}
