import { afterAll, describe, expect, it } from "vitest";
import { readinessSchema } from "@clinic/shared";
import { heartbeatKey } from "../../server/src/platform/heartbeat";
import { createTestEnvironment, readJson, startTestApp, type TestApp, waitFor } from "../support/harness";

describe("queue and worker wiring", () => {
  const apps: TestApp[] = [];
  afterAll(() => Promise.all(apps.map((app) => app.close())));

  it("a worker process runs the repeatable heartbeat job and the API reports it", async () => {
    const environment = await createTestEnvironment();
    const api = await startTestApp(environment, { env: { ROLE: "api" } });
    apps.push(api);
    expect(api.runtime.http).toBeDefined();

    // No worker yet: the API serves, degraded.
    const before = await readJson(await fetch(`${api.url}/api/v1/ready`), readinessSchema);
    expect(before.status).toBe("degraded");
    expect(before.checks.worker?.detail?.lastHeartbeat).toBeNull();

    const worker = await startTestApp(environment, { env: { ROLE: "worker", WORKER_HEARTBEAT_SECONDS: "1" } });
    apps.push(worker);

    const beat = await waitFor(async () => (await api.runtime.redis.get(heartbeatKey(environment.prefix))) ?? undefined);
    expect(Date.now() - Date.parse(beat)).toBeLessThan(5_000);
    const after = await readJson(await fetch(`${api.url}/api/v1/ready`), readinessSchema);
    expect(after.status).toBe("ready");
    expect(after.checks.worker?.detail?.lastHeartbeat).toBe(beat);

    // It keeps beating: the scheduler repeats the job.
    await waitFor(async () => ((await api.runtime.redis.get(heartbeatKey(environment.prefix))) !== beat ? true : undefined));
  });

  it("an API-only process runs no worker", async () => {
    const environment = await createTestEnvironment();
    const api = await startTestApp(environment, { env: { ROLE: "api", WORKER_HEARTBEAT_SECONDS: "1" } });
    apps.push(api);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(await api.runtime.redis.get(heartbeatKey(environment.prefix))).toBeNull();
  });
});

describe("slot admission locks (redlock)", () => {
  it("admit one contender at once and refuse the rest without queueing", async () => {
    const environment = await createTestEnvironment();
    const [a, b] = await Promise.all([startTestApp(environment), startTestApp(environment)]);
    try {
      const attempts = await Promise.all(
        Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).runtime.locks.tryAcquire("slot:42", 5_000)),
      );
      const held = attempts.filter((lock) => lock !== null);
      expect(held).toHaveLength(1);
      expect(await b.runtime.redis.exists(`${environment.prefix}:lock:slot:42`)).toBe(1);

      expect(await a.runtime.locks.tryAcquire("slot:43", 5_000)).not.toBeNull();
      await a.runtime.locks.release(held[0]!);
      expect(await b.runtime.locks.tryAcquire("slot:42", 5_000)).not.toBeNull();
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});
