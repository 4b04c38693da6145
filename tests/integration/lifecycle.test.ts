import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, inject, it } from "vitest";
import { readinessSchema } from "@clinic/shared";
import { connected, connectSocket, createTestDatabase, createTestEnvironment, readJson, startTestApp, uniqueName } from "../support/harness";
import { freePort, isPortOpen } from "../support/ports";
import { baseEnv, pressCtrlC, spawnServer, type ServerProcess } from "../support/process";

const started: ServerProcess[] = [];
afterAll(() => {
  for (const server of started) if (server.child.exitCode === null) server.child.kill("SIGKILL");
});

function start(env: Record<string, string | undefined>) {
  const server = spawnServer({ ...baseEnv(), ...env });
  started.push(server);
  return server;
}

describe("process start-up and shutdown", () => {
  it("migrates an empty database, seeds it, serves ready and docs, and stops cleanly on SIGINT", async () => {
    const database = await createTestDatabase({ migrated: false });
    const server = start({
      DATABASE_URL: database.url,
      REDIS_URL: inject("redisUrl"),
      REDIS_PREFIX: uniqueName("p"),
      DEMO_SEED: "true",
    });
    const url = await server.url;

    const ready = await fetch(`${url}/api/v1/ready`);
    expect(ready.status).toBe(200);
    expect((await readJson(ready, readinessSchema)).status).toBe("ready");
    expect((await fetch(`${url}/docs`)).status).toBe(200);
    expect(server.output()).toContain("applied migrations");
    expect(server.output()).toContain("reception@demo.clinic");
    expect(server.output()).toContain("demo1234!");

    server.child.kill("SIGINT");
    expect(await server.exited).toEqual({ code: 0, signal: null });
    expect(server.output()).toContain("shutdown complete");
    await expect(fetch(`${url}/api/v1/health`)).rejects.toThrow();
  });

  it("with nothing configured, runs embedded PostgreSQL and Redis under DATA_DIR and stops them after a terminal Ctrl-C", async () => {
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "clinic-live-start-"));
    await fs.chmod(dataDir, 0o755);
    const [pgPort, redisPort] = [await freePort(), await freePort()];
    const env = {
      DATA_DIR: dataDir,
      EMBEDDED_PG_PORT: String(pgPort),
      EMBEDDED_REDIS_PORT: String(redisPort),
      DEMO_SEED: "true",
    };
    try {
      const first = start(env);
      const url = await first.url;
      expect((await fetch(`${url}/api/v1/ready`)).status).toBe(200);
      expect(first.output()).toContain("seeded the demo clinic");
      expect(await isPortOpen(pgPort)).toBe(true);
      expect(await isPortOpen(redisPort)).toBe(true);
      await fs.access(path.join(dataDir, "pg", "PG_VERSION"));
      // The services must survive the group-wide signal long enough for the drain to finish cleanly.
      pressCtrlC(first);
      expect((await first.exited).code).toBe(0);
      expect(first.output()).toContain("shutdown complete");
      expect(first.output()).not.toContain("exiting at once");
      expect(await isPortOpen(pgPort)).toBe(false);
      expect(await isPortOpen(redisPort)).toBe(false);

      // Second start reuses the data: nothing left to migrate or seed.
      const second = start(env);
      const again = await second.url;
      expect((await fetch(`${again}/api/v1/ready`)).status).toBe(200);
      expect(second.output()).not.toContain("seeded the demo clinic");
      expect(second.output()).not.toContain("applied migrations");
      second.child.kill("SIGTERM");
      expect((await second.exited).code).toBe(0);
    } finally {
      await fs.rm(dataDir, { recursive: true, force: true });
    }
  });

  it("says how to get Redis when redis-server is missing and REDIS_URL is unset", async () => {
    const server = start({
      PATH: path.dirname(process.execPath),
      DATABASE_URL: (await createTestDatabase()).url,
    });
    const { code } = await server.exited;
    expect(code).toBe(1);
    expect(server.output()).toContain("no `redis-server` binary was found");
    expect(server.output()).toContain("apt-get install -y redis-server");
    expect(server.output()).toContain("REDIS_URL");
  });
});

describe("graceful shutdown in process", () => {
  it("drains in-flight requests, closes sockets, and refuses new connections", async () => {
    const app = await startTestApp(await createTestEnvironment(), {
      // Longer than the test's own timeout: a drain that hangs fails the test instead of being cut short.
      env: { SHUTDOWN_TIMEOUT_SECONDS: "120" },
      beforeStart(runtime) {
        runtime.realtime!.setAuthenticator(async () => ({ kind: "user", id: "u1" }));
        runtime.http!.get("/api/v1/slow", async () => {
          await new Promise((resolve) => setTimeout(resolve, 400));
          return { done: true };
        });
      },
    });
    const socket = connectSocket(app.url, { token: "any" });
    await connected(socket);
    const disconnected = new Promise<string>((resolve) => socket.once("disconnect", resolve));

    const inFlight = fetch(`${app.url}/api/v1/slow`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const closing = app.close();

    const response = await inFlight;
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ done: true });
    // The transport is closed, not the session ended: a stock client reconnects (to another node) by itself.
    expect(await disconnected).toBe("transport close");
    await closing;
    await expect(fetch(`${app.url}/api/v1/health`)).rejects.toThrow();
  });
});
