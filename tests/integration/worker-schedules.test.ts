/**
 * Redis loses its data (FLUSHALL on a Redis server of the test's own): the repeating jobs' schedulers
 * and the workers' heartbeat go with it. Each worker's timer re-registers the schedulers; until the
 * heartbeat is back, readiness says so: degraded (200) on an api node, not ready (503) on a worker.
 */
import { afterEach, describe, expect, it } from "vitest";
import { readinessSchema, type Readiness } from "@clinic/shared";
import { LIFECYCLE_JOB } from "../../server/src/modules/booking/appointment-lifecycle";
import { OFFER_SWEEP_JOB } from "../../server/src/modules/waitlist/waitlist.jobs";
import { REMINDER_REPLAN_JOB } from "../../server/src/modules/reminders/reminders.service";
import { createOwnRedisEnvironment, readJson, startApiAndWorker, startTestApp, waitFor, type TestApp } from "../support/harness";

/** Every queue's schedulers as `queue/name every-or-pattern`, sorted. */
async function schedulersOf(app: TestApp): Promise<string[]> {
  const perQueue = await Promise.all(
    app.runtime.queues.all().map(async (queue) =>
      (await queue.getJobSchedulers()).map((scheduler) => `${queue.name}/${scheduler.name} ${scheduler.every ?? scheduler.pattern}`),
    ),
  );
  return perQueue.flat().sort();
}

async function readiness(app: TestApp): Promise<{ code: number; body: Readiness }> {
  const response = await fetch(`${app.url}/api/v1/ready`);
  return { code: response.status, body: await readJson(response, readinessSchema) };
}

const isReady = async (app: TestApp) => {
  const { code, body } = await readiness(app);
  return (code === 200 && body.status === "ready") || undefined;
};

describe("job schedulers and readiness after Redis loses its data", () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  /** An api and a worker node on a Redis of their own, running until the test ends. */
  async function startNodes(env: Record<string, string>) {
    const environment = await createOwnRedisEnvironment();
    cleanups.push(() => environment.close());
    const apps = await startApiAndWorker({ LOG_LEVEL: "silent", WORKER_HEARTBEAT_SECONDS: "1", ...env }, environment);
    cleanups.push(() => apps.close());
    await waitFor(() => isReady(apps.api));
    await waitFor(() => isReady(apps.worker));
    return apps;
  }

  /** FLUSHALL, and proof that it happened (a key nothing puts back is gone). */
  async function flushRedis(app: TestApp): Promise<void> {
    await app.runtime.redis.set("flush-marker", "1");
    await app.runtime.redis.flushall();
    expect(await app.runtime.redis.get("flush-marker")).toBeNull();
  }

  it("a worker's timer re-registers every scheduler a FLUSHALL took; the heartbeat and readiness come back", async () => {
    const { api, worker } = await startNodes({ WORKER_SCHEDULE_CHECK_SECONDS: "1" });
    const before = await schedulersOf(api);
    for (const name of ["maintenance/worker-heartbeat", `maintenance/${LIFECYCLE_JOB}`, `maintenance/${OFFER_SWEEP_JOB}`, `maintenance/${REMINDER_REPLAN_JOB}`, "notifications/outbox-relay"]) {
      expect(before.some((line) => line.startsWith(`${name} `)), name).toBe(true);
    }

    await flushRedis(api);

    // Within a few of the worker's checks (one a second) every scheduler is back as it was.
    await waitFor(async () => ((await schedulersOf(api)).join("\n") === before.join("\n") ? true : undefined), 15_000);
    await waitFor(() => isReady(api), 15_000);
    await waitFor(() => isReady(worker), 15_000);
  });

  it("with the heartbeat gone an api node is degraded (200) and a worker node not ready (503); a restarted worker brings both back", async () => {
    // The schedulers' check is an hour away here, so nothing puts the heartbeat back by itself.
    const { environment, api, worker } = await startNodes({ WORKER_SCHEDULE_CHECK_SECONDS: "3600" });

    await flushRedis(api);
    expect(await schedulersOf(api)).toEqual([]);

    const onApi = await readiness(api);
    expect(onApi.code).toBe(200);
    expect(onApi.body.status).toBe("degraded");
    expect(onApi.body.checks).toMatchObject({
      postgres: { status: "up" },
      redis: { status: "up" },
      queue: { status: "up" },
      worker: { status: "down", error: "no worker heartbeat", detail: { lastHeartbeat: null, staleAfterSeconds: 3 } },
    });
    const onWorker = await readiness(worker);
    expect(onWorker.code).toBe(503);
    expect(onWorker.body.status).toBe("not_ready");
    expect(onWorker.body.checks.worker).toMatchObject({ status: "down", error: "no worker heartbeat" });
    expect(onWorker.body.checks.postgres?.status).toBe("up");

    // A worker (re)started registers the schedulers at once; the heartbeat follows.
    await worker.close();
    const restarted = await startTestApp(environment, { env: { LOG_LEVEL: "silent", WORKER_HEARTBEAT_SECONDS: "1", WORKER_SCHEDULE_CHECK_SECONDS: "3600", ROLE: "worker" } });
    cleanups.push(() => restarted.close());
    await waitFor(() => isReady(restarted), 15_000);
    await waitFor(() => isReady(api), 15_000);
    expect((await schedulersOf(api)).some((line) => line.startsWith("maintenance/worker-heartbeat "))).toBe(true);
  });

  it("a worker node serves its probes and nothing else", async () => {
    const { worker } = await startNodes({});
    expect((await fetch(`${worker.url}/api/v1/health`)).status).toBe(200);
    const other = await fetch(`${worker.url}/api/v1/clinics`);
    expect(other.status).toBe(404);
    expect(other.headers.get("content-type")).toContain("application/problem+json");
  });
});
