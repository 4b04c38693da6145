/**
 * Shutdown under faults and behind a load balancer: a node that got SIGTERM reports not ready and
 * keeps serving for SHUTDOWN_DRAIN_SECONDS, then refuses new connections while in-flight requests
 * finish, and no connection queued for it at that moment is reset; and a real server process exits within SHUTDOWN_TIMEOUT_SECONDS whatever state Redis and
 * PostgreSQL are in (both frozen; the embedded Redis refusing writes, and refusing to stop, because
 * its data directory is gone).
 */
import { spawn } from "node:child_process";
import fs from "node:fs/promises";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { readinessSchema } from "@clinic/shared";
import { queuedConnections, stopAccepting } from "../../server/src/platform/listener";
import { createTestDatabase, createTestEnvironment, readJson, startTestApp, uniqueName, waitFor } from "../support/harness";
import { freePort, isPortOpen } from "../support/ports";
import { OwnRedis } from "../support/redis";
import { baseEnv, spawnServer, type ServerProcess } from "../support/process";

const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

async function tempDir(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "clinic-live-shutdown-"));
  cleanups.push(() => fs.rm(dir, { recursive: true, force: true }));
  return dir;
}

describe("draining before shutdown", () => {
  it("answers /ready 503 while still serving for SHUTDOWN_DRAIN_SECONDS, then refuses connections while in-flight requests finish", async () => {
    let finishSlow!: () => void;
    const slowMayFinish = new Promise<void>((resolve) => (finishSlow = resolve));
    const app = await startTestApp(await createTestEnvironment(), {
      env: { SHUTDOWN_DRAIN_SECONDS: "1", SHUTDOWN_TIMEOUT_SECONDS: "30" },
      beforeStart(runtime) {
        runtime.http!.get("/api/v1/test/slow", async () => {
          await slowMayFinish;
          return { done: true };
        });
      },
    });
    expect((await fetch(`${app.url}/api/v1/ready`)).status).toBe(200);

    const closing = app.close();
    const ready = await fetch(`${app.url}/api/v1/ready`);
    expect(ready.status).toBe(503);
    expect(await readJson(ready, readinessSchema)).toEqual({ status: "not_ready", checks: { node: { status: "down", error: "shutting down" } } });
    // Not ready, yet everything else is still answered while the load balancer takes note.
    expect((await fetch(`${app.url}/api/v1/clinics`)).status).toBe(200);
    const inFlight = fetch(`${app.url}/api/v1/test/slow`);

    // Then new connections are refused, while the request in flight is still being served.
    await waitFor(() => fetch(`${app.url}/api/v1/health`).then(() => false, () => true));
    finishSlow();
    const finished = await inFlight;
    expect(finished.status).toBe(200);
    expect(await finished.json()).toEqual({ done: true });
    await closing;
  });

  it("stops listening without resetting the connections queued for it but not yet accepted", async () => {
    const server = http.createServer((_request, response) => response.end("served"));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    cleanups.push(() => new Promise((resolve) => server.close(resolve)));
    const { port } = server.address() as net.AddressInfo;
    const CONNECTIONS = 5;
    // Another process connects and sends its requests, as a load balancer does, while this one
    // is busy: the connections wait in the kernel's accept queue.
    const client = spawn(
      process.execPath,
      [
        "-e",
        `for (let i = 0; i < ${CONNECTIONS}; i++) fetch("http://127.0.0.1:${port}/", { method: "POST", keepalive: false })` +
          `.then((r) => console.log(r.status), (e) => console.log(e.cause?.code ?? e.message));`,
      ],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    let output = "";
    client.stdout.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
    const clientExited = new Promise((resolve) => client.once("exit", resolve));
    const busyUntil = Date.now() + 20_000;
    while ((queuedConnections(port) ?? 0) < CONNECTIONS && Date.now() < busyUntil);
    expect(queuedConnections(port)).toBe(CONNECTIONS);

    await stopAccepting(server);
    expect(server.listening).toBe(false);
    await clientExited;
    expect(output.trim().split("\n")).toEqual(Array(CONNECTIONS).fill("200"));
  });
});

/** A TCP proxy to PostgreSQL that can stop passing bytes both ways, as a frozen server would. */
async function freezableProxy(databaseUrl: string) {
  const target = new URL(databaseUrl);
  const sockets = new Set<net.Socket>();
  let frozen = false;
  const server = net.createServer((client) => {
    sockets.add(client);
    client.on("error", () => client.destroy());
    client.on("close", () => sockets.delete(client));
    if (frozen) return client.pause();
    const upstream = net.connect(Number(target.port), target.hostname);
    sockets.add(upstream);
    upstream.on("error", () => upstream.destroy());
    upstream.on("close", () => sockets.delete(upstream));
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = new URL(databaseUrl);
  url.port = String((server.address() as net.AddressInfo).port);
  const close = () => {
    for (const socket of sockets) socket.destroy();
    return new Promise((resolve) => server.close(resolve));
  };
  cleanups.push(close);
  return {
    url: url.toString(),
    freeze() {
      frozen = true;
      for (const socket of sockets) {
        socket.unpipe();
        socket.pause();
      }
    },
  };
}

/**
 * What a vanished data directory does to Redis: its snapshot cannot be written, so (with the
 * default stop-writes-on-bgsave-error) it answers every write with MISCONF.
 */
async function makeRedisRefuseWrites(client: Redis, dataDir: string): Promise<void> {
  await fs.rm(dataDir, { recursive: true, force: true });
  // Writes are refused for a failed snapshot only where snapshots are configured.
  await client.config("SET", "save", "3600 1");
  await client.config("SET", "stop-writes-on-bgsave-error", "yes");
  await client.bgsave();
  await waitFor(async () => (await client.info("persistence")).includes("rdb_last_bgsave_status:err"));
  await expect(client.set(uniqueName("probe"), "1")).rejects.toThrow(/MISCONF/);
}

/**
 * SIGTERM; how long the process took to exit, and whether it ended through its shutdown (cleanly,
 * or cut short at the deadline) rather than by crashing.
 */
async function terminate(server: ServerProcess): Promise<{ seconds: number; throughShutdown: boolean }> {
  const sent = performance.now();
  server.child.kill("SIGTERM");
  await server.exited;
  const throughShutdown = /shutdown complete|shutdown did not finish within/.test(server.output());
  return { seconds: (performance.now() - sent) / 1000, throughShutdown };
}

describe("a server process stops within SHUTDOWN_TIMEOUT_SECONDS whatever Redis and PostgreSQL do", () => {
  const TIMEOUT_SECONDS = 4;
  /** Process exit and the test's own reading of it. */
  const MARGIN_SECONDS = 2;
  const started: ServerProcess[] = [];
  afterAll(() => {
    for (const server of started) if (server.child.exitCode === null && server.child.signalCode === null) process.kill(-server.child.pid!, "SIGKILL");
  });

  function start(env: Record<string, string>): ServerProcess {
    const server = spawnServer({
      ...baseEnv(),
      ROLE: "all",
      MIGRATE_ON_START: "false",
      DEMO_SEED: "false",
      LOG_LEVEL: "info",
      SHUTDOWN_TIMEOUT_SECONDS: String(TIMEOUT_SECONDS),
      // Every step then has work in flight: the sweeps and the heartbeat run each second.
      DOMAIN_EVENTS_SWEEP_SECONDS: "1",
      WORKER_HEARTBEAT_SECONDS: "1",
      ...env,
    });
    started.push(server);
    return server;
  }

  it("with Redis and PostgreSQL frozen", { timeout: 90_000 }, async () => {
    // A Redis of this test's own: the run's shared one must stay healthy.
    const redis = await OwnRedis.started();
    cleanups.push(() => redis.close());
    const postgres = await freezableProxy((await createTestDatabase()).url);
    const server = start({ DATABASE_URL: postgres.url, REDIS_URL: redis.url });
    const url = await server.url;
    expect((await fetch(`${url}/api/v1/ready`)).status).toBe(200);
    const pid = await redis.pid();
    process.kill(pid, "SIGSTOP");
    cleanups.push(async () => process.kill(pid, "SIGCONT"));
    postgres.freeze();

    const { seconds, throughShutdown } = await terminate(server);
    expect(throughShutdown).toBe(true);
    expect(seconds).toBeLessThan(TIMEOUT_SECONDS + MARGIN_SECONDS);
  });

  it("with the embedded Redis's data directory gone (npm start without REDIS_URL); that Redis stops too", { timeout: 90_000 }, async () => {
    const dataDir = await tempDir();
    const redisPort = await freePort();
    const server = start({ DATABASE_URL: (await createTestDatabase()).url, DATA_DIR: dataDir, EMBEDDED_REDIS_PORT: String(redisPort) });
    await server.url;
    const client = new Redis(`redis://127.0.0.1:${redisPort}`, { maxRetriesPerRequest: 1 });
    try {
      await makeRedisRefuseWrites(client, path.join(dataDir, "redis"));
    } finally {
      client.disconnect();
    }

    const { seconds, throughShutdown } = await terminate(server);
    expect(throughShutdown).toBe(true);
    expect(seconds).toBeLessThan(TIMEOUT_SECONDS + MARGIN_SECONDS);
    expect(await isPortOpen(redisPort)).toBe(false);
  });
});
