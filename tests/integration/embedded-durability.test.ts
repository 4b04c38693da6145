/**
 * What the embedded services promise `npm start` (docs/operations.md, "Durability and backups"):
 * PostgreSQL with fsync on, so an acknowledged commit survives a crash; Redis with an append-only
 * file fsynced every second, so its keys and jobs survive a kill -9. The services are started the
 * way `npm start` starts them (`ensureServices` with nothing configured), on free ports under a
 * temporary DATA_DIR.
 */
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import pg from "pg";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../server/src/config";
import { ensureServices, startEmbeddedRedis, type EmbeddedService, type Services } from "../../server/src/platform/embedded";
import { waitFor, withAdminClient } from "../support/harness";
import { freePort, isPortOpen } from "../support/ports";

/** Past `appendfsync everysec`'s one-second window, so the writes are on disk, not just written. */
const PAST_ONE_FSYNC = 1_200;

async function showSetting(databaseUrl: string, setting: "fsync" | "synchronous_commit"): Promise<string> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<Record<string, string>>(`SHOW ${setting}`);
    return rows[0]![setting]!;
  } finally {
    await client.end();
  }
}

/** kill -9 of the redis-server behind `url`: no shutdown, no final save. */
async function killRedisHard(url: string): Promise<void> {
  const client = new Redis(url);
  const pid = Number(/process_id:(\d+)/.exec(await client.info("server"))![1]);
  client.disconnect();
  process.kill(pid, "SIGKILL");
  const port = Number(new URL(url).port);
  await waitFor(async () => !(await isPortOpen(port)), 5_000);
}

/** World-traversable, because as root PostgreSQL runs as the `postgres` user (as in global-setup.ts). */
async function temporaryDataDir(prefix: string): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
  await fs.chmod(dir, 0o755);
  return dir;
}

describe("embedded services as npm start runs them", () => {
  let dataDir: string;
  let services: Services;
  const restarted: EmbeddedService[] = [];

  beforeAll(async () => {
    dataDir = await temporaryDataDir("clinic-live-durable-");
    const config = loadConfig({
      DATA_DIR: dataDir,
      EMBEDDED_PG_PORT: String(await freePort()),
      EMBEDDED_REDIS_PORT: String(await freePort()),
    });
    services = await ensureServices(config, pino({ level: "silent" }));
  }, 120_000);
  afterAll(async () => {
    for (const redis of restarted) await redis.stop();
    await services?.stopAll();
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  it("runs PostgreSQL with fsync on; the test harness's throw-away cluster is the one with it off", async () => {
    expect(await showSetting(services.databaseUrl, "fsync")).toBe("on");
    expect(await showSetting(services.databaseUrl, "synchronous_commit")).toBe("on");
    // The harness asks for fsync off explicitly (global-setup.ts); with DATABASE_URL given it started no cluster.
    if (!process.env.DATABASE_URL) {
      const harnessFsync = await withAdminClient(async (client) => (await client.query<{ fsync: string }>("SHOW fsync")).rows[0]!.fsync);
      expect(harnessFsync).toBe("off");
    }
  });

  it("keeps Redis keys and a delayed BullMQ job across a kill -9 and a restart on the same data", async () => {
    const connection = { host: "127.0.0.1", port: Number(new URL(services.redisUrl).port) };
    const writer = new Redis(services.redisUrl);
    await writer.set("clinic:durable:marker", "kept");
    await writer.incrby("clinic:seq:clinic:durable", 41);
    await writer.incr("clinic:seq:clinic:durable");
    const queue = new Queue("reminders", { connection, prefix: "durable" });
    await queue.add("appointment.reminder", { appointmentId: "a-1" }, { jobId: "reminder-a-1", delay: 3_600_000 });
    await queue.close();
    writer.disconnect();

    await new Promise((resolve) => setTimeout(resolve, PAST_ONE_FSYNC));
    await killRedisHard(services.redisUrl);

    const redis = await startEmbeddedRedis({ dataDir: path.join(dataDir, "redis"), port: await freePort() });
    restarted.push(redis);
    const reader = new Redis(redis.url);
    const again = new Queue("reminders", { connection: { host: "127.0.0.1", port: Number(new URL(redis.url).port) }, prefix: "durable" });
    try {
      expect(await reader.get("clinic:durable:marker")).toBe("kept");
      expect(await reader.get("clinic:seq:clinic:durable")).toBe("42");
      expect(await again.getJobState("reminder-a-1")).toBe("delayed");
      expect((await again.getJob("reminder-a-1"))?.data).toEqual({ appointmentId: "a-1" });
    } finally {
      await again.close();
      reader.disconnect();
    }
  });
});

describe("embedded Redis on a data directory from before the append-only file", () => {
  it("keeps the snapshot's keys when it turns the append-only file on, and from then on survives a kill -9", async () => {
    const dir = await temporaryDataDir("clinic-live-redis-upgrade-");
    const running: EmbeddedService[] = [];
    try {
      // The old layout: an RDB snapshot and no append-only file.
      const old = await startEmbeddedRedis({ dataDir: dir, port: await freePort(), durable: false });
      const before = new Redis(old.url);
      await before.set("from-snapshot", "1");
      await before.save();
      before.disconnect();
      await old.stop();

      const upgraded = await startEmbeddedRedis({ dataDir: dir, port: await freePort() });
      running.push(upgraded);
      const client = new Redis(upgraded.url);
      expect(await client.get("from-snapshot")).toBe("1");
      expect(await client.config("GET", "appendonly")).toEqual(["appendonly", "yes"]);
      await client.set("after-upgrade", "2");
      client.disconnect();
      await new Promise((resolve) => setTimeout(resolve, PAST_ONE_FSYNC));
      await killRedisHard(upgraded.url);

      const restarted = await startEmbeddedRedis({ dataDir: dir, port: await freePort() });
      running.push(restarted);
      const reader = new Redis(restarted.url);
      expect(await reader.mget("from-snapshot", "after-upgrade")).toEqual(["1", "2"]);
      reader.disconnect();
    } finally {
      for (const redis of running) await redis.stop();
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
