import { afterAll, describe, expect, it } from "vitest";
import { healthSchema, readinessSchema } from "@clinic/shared";
import { beat } from "../../server/src/platform/heartbeat";
import { createOwnRedisEnvironment, createTestEnvironment, readJson, startTestApp, type TestApp } from "../support/harness";

describe("health and readiness", () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it("reports liveness with version and role", async () => {
    const app = await startTestApp(await createTestEnvironment());
    cleanups.push(() => app.close());
    const response = await fetch(`${app.url}/api/v1/health`);
    expect(response.status).toBe(200);
    expect(await readJson(response, healthSchema)).toMatchObject({ status: "ok", role: "api", version: expect.any(String) });
  });

  it("is ready with every dependency up, and not ready (503) once Redis dies", async () => {
    // A Redis of this test's own, so killing it hurts nobody else.
    const environment = await createOwnRedisEnvironment();
    cleanups.push(() => environment.close());
    const app: TestApp = await startTestApp(environment);
    cleanups.push(() => app.close());
    // As if a worker fleet ran (none does here): without its heartbeat the node would be `degraded`.
    await beat(app.runtime.redis, environment.prefix, app.runtime.config.worker.heartbeatSeconds);

    const ready = await fetch(`${app.url}/api/v1/ready`);
    expect(ready.status).toBe(200);
    expect(await readJson(ready, readinessSchema)).toMatchObject({
      status: "ready",
      checks: { postgres: { status: "up" }, redis: { status: "up" }, queue: { status: "up" } },
    });

    await environment.redis.stop();
    const notReady = await fetch(`${app.url}/api/v1/ready`);
    expect(notReady.status).toBe(503);
    const body = await readJson(notReady, readinessSchema);
    expect(body.status).toBe("not_ready");
    expect(body.checks.postgres?.status).toBe("up");
    expect(body.checks.redis).toMatchObject({ status: "down", error: expect.any(String) });
    expect(body.checks.queue?.status).toBe("down");

    // Liveness does not depend on Redis: the process itself is fine.
    expect((await fetch(`${app.url}/api/v1/health`)).status).toBe(200);
  });
});
