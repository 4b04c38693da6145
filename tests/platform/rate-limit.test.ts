/**
 * The general rate limit (platform/rate-limit-store.ts, docs/operations.md "Rate limiting") through
 * @fastify/rate-limit and real HTTP on real Redis: exact on one node, shared by two nodes within the
 * documented slack once they sync, no Redis command on a request, and bounded memory.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Redis } from "ioredis";
import pino from "pino";
import { PROBLEM_CONTENT_TYPE, problemSchema } from "@clinic/shared";
import { createRateLimitCounts } from "../../server/src/platform/rate-limit-store";
import type { Runtime } from "../../server/src/platform/runtime";
import { createOwnRedisEnvironment, createTestEnvironment, readJson, startTestApp, waitFor, type TestApp, type TestEnvironment } from "../support/harness";

/** A route the limit counts that does nothing else (no database, no Redis). */
const PING = "/api/v1/test/ping";
const withPing = { beforeStart: (runtime: Runtime) => void runtime.http!.get(PING, async () => ({ ok: true })) };

const STRICT = "/api/v1/test/strict";

const ping = (app: TestApp, address: string) => fetch(`${app.url}${PING}`, { headers: { "x-forwarded-for": address } });

/** Statuses and `x-ratelimit-remaining` of `times` requests in a row. */
async function pings(app: TestApp, address: string, times: number): Promise<{ statuses: number[]; remaining: number[] }> {
  const statuses: number[] = [];
  const remaining: number[] = [];
  for (let i = 0; i < times; i++) {
    const reply = await ping(app, address);
    await reply.arrayBuffer();
    statuses.push(reply.status);
    remaining.push(Number(reply.headers.get("x-ratelimit-remaining")));
  }
  return { statuses, remaining };
}

const counts = (app: TestApp) => app.runtime.http!.rateLimitCounts;
const counterKey = (environment: TestEnvironment, address: string) => `${environment.prefix}:ratelimit:${address}`;

describe("the general rate limit on one node", () => {
  let environment: TestEnvironment;
  let app: TestApp;
  beforeAll(async () => {
    environment = await createTestEnvironment();
    app = await startTestApp(environment, {
      beforeStart: (runtime) => {
        withPing.beforeStart(runtime);
        // A route with a limit of its own, as a module would declare one.
        runtime.http!.get(STRICT, { config: { rateLimit: { max: 1, timeWindow: 60_000 } } }, async () => ({ ok: true }));
      },
      env: { RATE_LIMIT_MAX: "3", RATE_LIMIT_WINDOW_SECONDS: "1", RATE_LIMIT_SYNC_MS: "20" },
    });
  });
  afterAll(async () => app?.close());

  it("admits exactly max requests in a window, answers the next 429 problem+json with Retry-After, and starts afresh after the window", async () => {
    expect(await pings(app, "10.20.0.1", 3)).toEqual({ statuses: [200, 200, 200], remaining: [2, 1, 0] });
    const refused = await ping(app, "10.20.0.1");
    expect(refused.status).toBe(429);
    expect(refused.headers.get("content-type")).toContain(PROBLEM_CONTENT_TYPE);
    expect(await readJson(refused, problemSchema)).toMatchObject({ code: "RATE_LIMITED", status: 429 });
    expect(refused.headers.get("retry-after")).toBe("1");

    // Another address has its own count.
    expect((await pings(app, "10.20.0.2", 1)).statuses).toEqual([200]);
    // Refused until the window ends, then exactly max again.
    await waitFor(async () => (await pings(app, "10.20.0.1", 1)).statuses[0] === 200, 5_000);
    expect((await pings(app, "10.20.0.1", 3)).statuses).toEqual([200, 200, 429]);
  });

  it("forgets an address once its window has ended", async () => {
    await pings(app, "10.20.1.1", 1);
    await pings(app, "10.20.1.2", 1);
    expect(counts(app).trackedKeys).toBeGreaterThanOrEqual(2);
    // Each sync drops ended windows; nothing else is counted meanwhile.
    await waitFor(async () => {
      await counts(app).synced();
      return counts(app).trackedKeys === 0;
    }, 5_000);
  });

  it("counts a route with its own config.rateLimit apart, under the route's keys", async () => {
    const strict = async () => (await fetch(`${app.url}${STRICT}`, { headers: { "x-forwarded-for": "10.20.2.1" } })).status;
    expect([await strict(), await strict()]).toEqual([200, 429]);
    expect((await pings(app, "10.20.2.1", 1)).statuses).toEqual([200]);
    await counts(app).sync();
    const redis = new Redis(environment.redisUrl);
    try {
      expect(await redis.get(`${environment.prefix}:ratelimit:GET${STRICT}-10.20.2.1`)).toBe("2");
    } finally {
      redis.disconnect();
    }
  });
});

describe("the general rate limit on two nodes", () => {
  let environment: TestEnvironment;
  let a: TestApp;
  let b: TestApp;
  let redis: Redis;
  beforeAll(async () => {
    environment = await createTestEnvironment();
    // Synced on the tests' word only (sync()), so the slack below is deterministic.
    const env = { RATE_LIMIT_MAX: "4", RATE_LIMIT_WINDOW_SECONDS: "60", RATE_LIMIT_SYNC_MS: "10000" };
    [a, b] = await Promise.all([startTestApp(environment, { ...withPing, env }), startTestApp(environment, { ...withPing, env })]);
    redis = new Redis(environment.redisUrl);
  });
  afterAll(async () => {
    redis?.disconnect();
    await Promise.all([a?.close(), b?.close()]);
  });

  it("admits at most max + what the other node admitted since its last sync, then each node knows the cluster's count after it syncs", async () => {
    const address = "10.21.0.1";
    // Between two syncs each node counts alone: a admits max, b admits max more (the slack), each refuses past max.
    expect((await pings(a, address, 5)).statuses).toEqual([200, 200, 200, 200, 429]);
    expect((await pings(b, address, 5)).statuses).toEqual([200, 200, 200, 200, 429]);
    await a.runtime.http!.rateLimitCounts.sync();
    await b.runtime.http!.rateLimitCounts.sync();
    // Refused requests count too, as with the plugin's own Redis store.
    expect(await redis.get(counterKey(environment, address))).toBe("10");
    expect(await redis.pttl(counterKey(environment, address))).toBeGreaterThan(55_000);
  });

  it("lets each node learn the other's count at its next sync, and refuse on it", async () => {
    const address = "10.21.1.1";
    expect(await pings(a, address, 2)).toEqual({ statuses: [200, 200], remaining: [3, 2] });
    await counts(a).sync();
    // b has not heard of a's two yet: it counts its own.
    expect(await pings(b, address, 1)).toEqual({ statuses: [200], remaining: [3] });
    await counts(b).sync();
    // b has learnt the cluster's 3: its next is the 4th, the one after refused.
    expect(await pings(b, address, 2)).toEqual({ statuses: [200, 429], remaining: [0, 0] });
    await counts(b).sync();
    // a still knew 2 (+1 = 3 ≤ max: the one-interval slack); after its sync it knows 6.
    expect(await pings(a, address, 1)).toEqual({ statuses: [200], remaining: [1] });
    await counts(a).sync();
    expect((await pings(a, address, 1)).statuses).toEqual([429]);
    expect(await redis.get(counterKey(environment, address))).toBe("6");
  });

  it("pushes what a node counted since its last sync when it closes", async () => {
    const closing = await startTestApp(environment, { ...withPing, env: { RATE_LIMIT_MAX: "4", RATE_LIMIT_SYNC_MS: "10000" } });
    await pings(closing, "10.21.3.1", 2);
    await closing.close();
    expect(await redis.get(counterKey(environment, "10.21.3.1"))).toBe("2");
  });

  it("syncs on its own every RATE_LIMIT_SYNC_MS", async () => {
    const synced = await startTestApp(environment, { ...withPing, env: { RATE_LIMIT_MAX: "4", RATE_LIMIT_SYNC_MS: "50" } });
    try {
      await pings(synced, "10.21.2.1", 3);
      await counts(synced).synced();
      expect(await redis.get(counterKey(environment, "10.21.2.1"))).toBe("3");
    } finally {
      await synced.close();
    }
  });
});

describe("the general rate limit and Redis", () => {
  let environment: Awaited<ReturnType<typeof createOwnRedisEnvironment>>;
  let app: TestApp;
  let monitor: Redis;
  let client: Redis;
  /** Every command clients sent Redis since the monitor opened (not those scripts ran), each as its words. */
  let commands: string[][] = [];

  beforeAll(async () => {
    environment = await createOwnRedisEnvironment();
    app = await startTestApp(environment, { ...withPing, env: { RATE_LIMIT_MAX: "100", RATE_LIMIT_SYNC_MS: "10000" } });
    client = new Redis(environment.redisUrl);
    monitor = await client.monitor();
    monitor.on("monitor", (_time: string, args: string[], source: string) => {
      if (source !== "lua") commands.push(args);
    });
  }, 60_000);
  afterAll(async () => {
    monitor?.disconnect();
    client?.disconnect();
    await app?.close();
    await environment?.close();
  });

  /** Resolves once the monitor has seen every command sent before the call (it reports in order). */
  async function monitorCaughtUp(): Promise<void> {
    const marker = `marker-${commands.length}-${Math.random()}`;
    await client.echo(marker);
    await waitFor(() => commands.some((words) => words[0] === "echo" && words[1] === marker));
  }

  const limiterCommands = () => commands.filter((words) => words.some((word) => word.startsWith(`${environment.prefix}:ratelimit:`)));

  it("sends no Redis command on a request, and one script call per sync for every address counted since", async () => {
    // Redis learns the script on the first sync; the ones measured below call it by its hash.
    await pings(app, "10.22.9.9", 1);
    await counts(app).sync();
    await monitorCaughtUp();
    commands = [];
    const addresses = ["10.22.0.1", "10.22.0.2", "10.22.0.3"];
    for (const address of addresses) expect((await pings(app, address, 10)).statuses).toEqual(Array(10).fill(200));
    await monitorCaughtUp();
    expect(limiterCommands()).toEqual([]);

    await counts(app).sync();
    await monitorCaughtUp();
    const calls = limiterCommands();
    expect(calls).toHaveLength(1);
    const [command, , keyCount, ...keysAndArgs] = calls[0]!;
    expect([command?.toLowerCase(), keyCount]).toEqual(["evalsha", "3"]);
    expect(keysAndArgs.slice(0, 3)).toEqual(addresses.map((address) => counterKey(environment, address)));
    // Per address: the 10 counted, the window in ms, and no window end learnt yet.
    expect(keysAndArgs.slice(3)).toEqual(addresses.flatMap(() => ["10", "60000", "0"]));
    for (const address of addresses) expect(await client.get(counterKey(environment, address))).toBe("10");
  });
});

describe("the counts' memory", () => {
  it("holds at most maxKeys addresses, and still pushes the counts of those it dropped", async () => {
    const environment = await createTestEnvironment();
    const redis = new Redis(environment.redisUrl);
    const namespace = `${environment.prefix}:capped:`;
    const capped = createRateLimitCounts({ redis, namespace, syncMs: 10_000, log: pino({ level: "silent" }), maxKeys: 3 });
    try {
      const store = new capped.Store({});
      const answers: number[] = [];
      for (const address of ["a", "b", "c", "d", "e", "e"]) {
        store.incr(address, (_error, result) => answers.push(result!.current), 60_000, 10);
      }
      expect(answers).toEqual([1, 1, 1, 1, 1, 2]);
      expect(capped.trackedKeys).toBe(3);
      await capped.sync();
      expect(await redis.mget(["a", "b", "c", "d", "e"].map((address) => namespace + address))).toEqual(["1", "1", "1", "1", "2"]);
    } finally {
      await capped.close();
      redis.disconnect();
    }
  });
});

describe("the sync", () => {
  it("drops counts made in a window that has ended on Redis's clock, so they cannot open the next one", async () => {
    const environment = await createTestEnvironment();
    const redis = new Redis(environment.redisUrl);
    const namespace = `${environment.prefix}:ended:`;
    const counted = createRateLimitCounts({ redis, namespace, syncMs: 10_000, log: pino({ level: "silent" }) });
    try {
      const store = new counted.Store({});
      const count = () => store.incr("x", () => undefined, 60_000, 10);
      count();
      await counted.sync();
      expect(await redis.get(`${namespace}x`)).toBe("1");
      // A push whose window ended on Redis's clock (as if this node's clock lagged), by the script the store defined.
      const [seconds, micros] = await redis.time();
      const redisNow = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
      const script = redis as unknown as { syncRateLimitCounts(keyCount: number, ...keysAndArgs: (string | number)[]): Promise<number[]> };
      expect((await script.syncRateLimitCounts(1, `${namespace}x`, 5, 60_000, redisNow)).slice(0, 2)).toEqual([-1, 0]);
      expect(await redis.get(`${namespace}x`)).toBe("1");
      // One whose window end is not learnt yet (0) is added.
      expect((await script.syncRateLimitCounts(1, `${namespace}x`, 5, 60_000, 0)).slice(0, 1)).toEqual([6]);
    } finally {
      await counted.close();
      redis.disconnect();
    }
  });
});
