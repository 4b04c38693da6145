/**
 * Redis down (docs/operations.md "When Redis is down"): a redis-server of this file's own, stopped
 * or frozen mid-test while the real HTTP API is raced. Booking runs on the database fence alone,
 * the sign-in limits fail closed (503 + Retry-After), the general rate limit goes on with each
 * node's own counts, every reply comes within REPLY_BOUND_MS, and what the committed writes owe Redis (jobs, socket events)
 * follows through the outbox once Redis is back.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Redis } from "ioredis";
import { PROBLEM_CONTENT_TYPE, readinessSchema, topics } from "@clinic/shared";
import type { Socket } from "socket.io-client";
import { hold, request, type Reply } from "../support/api";
import { count, inconsistencies } from "../support/db";
import { buildClinicWithDoctor, buildPatient, buildPerson, buildSlots, TEST_PASSWORD, type TestPerson } from "../support/factories";
import { createTestEnvironment, listen, readJson, startTestApp, subscribe, waitFor, type TestApp, type TestEnvironment } from "../support/harness";
import { OwnRedis } from "../support/redis";

/** What the issue asks of every reply while Redis is away. */
const REPLY_BOUND_MS = 2_000;

interface Timed<T> {
  value: T;
  ms: number;
}

async function timed<T>(work: () => Promise<T>): Promise<Timed<T>> {
  const started = performance.now();
  const value = await work();
  return { value, ms: performance.now() - started };
}

const appEnv = { RATE_LIMIT_MAX: "100000", DOMAIN_EVENTS_SWEEP_SECONDS: "1", LOG_LEVEL: "fatal" };

const login = (app: TestApp, email: string, ip: string) =>
  request(app, null, "POST", "/auth/login", { email, password: TEST_PASSWORD }, { "x-forwarded-for": ip });

const isReady = async (app: TestApp) => (await fetch(`${app.url}/api/v1/ready`)).status === 200;

describe("with Redis down", () => {
  let redis: OwnRedis;
  let environment: TestEnvironment;
  let app: TestApp;

  beforeAll(async () => {
    redis = await OwnRedis.prepare();
    await redis.start();
    environment = { ...(await createTestEnvironment()), redisUrl: redis.url };
    // Replies as production sends them: not held for the outbox (which is what must not wait on Redis).
    app = await startTestApp(environment, { settleEvents: false, env: appEnv });
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    await redis?.close();
  });

  /** Runs `work` with Redis stopped, then starts it again and waits until the app says it is ready. */
  async function whileStopped<T>(work: () => Promise<T>): Promise<T> {
    await redis.stop();
    try {
      return await work();
    } finally {
      await redis.start();
      await waitFor(() => isReady(app), 20_000);
    }
  }

  it("races 50 holds on one slot and 20 on others on the database fence alone: one winner each, every reply within 2 s", async () => {
    const { clinicId, doctor } = await buildClinicWithDoctor(app);
    const [warmUp, hot, ...others] = await buildSlots(app, { doctorId: doctor.doctorId, clinicId, count: 22 });
    const patients: TestPerson[] = [];
    for (let i = 0; i < 71; i++) patients.push(await buildPatient(app, { tier: "standard" }));
    // The outage hits a node that has served before (its first request compiles what the rest reuse).
    expect((await hold(app, patients[70]!, { slotId: warmUp!.id })).status).toBe(201);

    const { hotReplies, otherReplies } = await whileStopped(async () => {
      const racing = [
        ...patients.slice(0, 50).map((patient) => timed(() => hold(app, patient, { slotId: hot!.id }))),
        ...others.map((slot, i) => timed(() => hold(app, patients[50 + i]!, { slotId: slot.id }))),
      ];
      const replies = await Promise.all(racing);
      return { hotReplies: replies.slice(0, 50), otherReplies: replies.slice(50) };
    });

    const all: Timed<Reply>[] = [...hotReplies, ...otherReplies];
    expect(all.filter((reply) => reply.value.status >= 500 && reply.value.status !== 503)).toEqual([]);
    expect(hotReplies.filter((reply) => reply.value.status === 201)).toHaveLength(1);
    for (const lost of hotReplies.filter((reply) => reply.value.status !== 201)) {
      expect(lost.value).toMatchObject({ status: 409, body: { code: expect.stringMatching(/^(SLOT_TAKEN|CONCURRENT_CHANGE)$/) } });
    }
    expect(otherReplies.map((reply) => reply.value.status)).toEqual(others.map(() => 201));
    expect(all.filter((reply) => reply.ms >= REPLY_BOUND_MS).map((reply) => Math.round(reply.ms))).toEqual([]);

    // PostgreSQL is the truth: one live appointment on the hot slot, one on each other slot.
    const live = `select count(*) n from appointment where slot_id = ? and status not in ('cancelled', 'expired')`;
    expect(await count(app, live, [hot!.id])).toBe(1);
    for (const slot of others) expect(await count(app, live, [slot.id])).toBe(1);
    expect(await inconsistencies(app, doctor.doctorId)).toEqual({ doubles: 0, mismatched: [], overlapping: 0 });

    // Redis came back empty: the outbox retried what the holds owed it, so each hold has its expiry
    // job and every domain event (slot and appointment fan-out included) was delivered.
    const holds = [hotReplies.find((reply) => reply.value.status === 201)!, ...otherReplies].map((reply) => reply.value.body.id as string);
    const booking = app.runtime.queues.get("booking");
    await waitFor(async () => {
      const jobs = await Promise.all(holds.map((id) => booking.getJob(`hold-${id}`)));
      return jobs.every(Boolean);
    }, 30_000);
    await waitFor(async () => (await count(app, `select count(*) n from domain_event where delivered_at is null`)) === 0, 30_000);
  }, 60_000);

  it("answers sign-in, registration and code checks 503 with Retry-After within 2 s, and signs in again once Redis is back", async () => {
    const person = await buildPerson(app, "patient");
    const email = person.user.email!;
    const newcomer = `newcomer-${Date.now()}@redis-down.test`;

    const replies = await whileStopped(() =>
      Promise.all([
        timed(() => login(app, email, "10.9.0.1")),
        timed(() => request(app, null, "POST", "/auth/register", { email: newcomer, password: TEST_PASSWORD, name: "New Comer", role: "patient" })),
        timed(() => request(app, null, "POST", "/auth/verify", { email, code: "123456" })),
        timed(() => request(app, null, "POST", "/auth/password/forgot", { email })),
        timed(() => request(app, null, "POST", "/auth/password/reset", { email, code: "123456", newPassword: "another fine passphrase" })),
      ]),
    );

    for (const { value: response, ms } of replies) {
      expect({ url: response.url, status: response.status }).toEqual({ url: response.url, status: 503 });
      expect(response.headers.get("content-type")).toContain(PROBLEM_CONTENT_TYPE);
      expect(Number(response.headers.get("retry-after"))).toBeGreaterThan(0);
      expect(await response.json()).toMatchObject({ status: 503, code: "TEMPORARILY_UNAVAILABLE", retryAfterSeconds: expect.any(Number) });
      expect(ms).toBeLessThan(REPLY_BOUND_MS);
    }
    // Refused before anything was written.
    expect(await count(app, `select count(*) n from user_account where email = ?`, [newcomer])).toBe(0);

    expect((await login(app, email, "10.9.0.1")).status).toBe(200);
  }, 60_000);

  it("limits on the node's own counts while it cannot sync them, without waiting on Redis, and adds them to Redis's once it is back", async () => {
    const env = { RATE_LIMIT_MAX: "2", RATE_LIMIT_SYNC_MS: "50", LOG_LEVEL: "fatal" };
    const limited = await startTestApp(environment, { settleEvents: false, env });
    const probe = new Redis(redis.url, { maxRetriesPerRequest: null });
    try {
      const clinics = (ip: string) => timed(() => request(limited, null, "GET", "/clinics", undefined, { "x-forwarded-for": ip }));
      // Counting: the third request of a window is refused.
      const counted = [await clinics("10.9.1.1"), await clinics("10.9.1.1"), await clinics("10.9.1.1")];
      expect(counted.map((reply) => reply.value.status)).toEqual([200, 200, 429]);

      const uncounted = await whileStopped(async () => {
        const replies = [];
        for (let i = 0; i < 5; i++) replies.push(await clinics("10.9.1.2"));
        return replies;
      });
      expect(uncounted.map((reply) => reply.value.status)).toEqual([200, 200, 429, 429, 429]);
      expect(Math.max(...uncounted.map((reply) => reply.ms))).toBeLessThan(REPLY_BOUND_MS);
      // Redis came back empty; the node's next sync adds what it counted meanwhile.
      await waitFor(async () => (await probe.get(`${environment.prefix}:ratelimit:10.9.1.2`)) === "5", 20_000);
    } finally {
      probe.disconnect();
      await limited.close();
    }
  }, 60_000);

  it("refuses a socket's subscribe UNAVAILABLE within 2 s, which a retry after Redis is back turns into a subscription", async () => {
    const { clinicId, doctor } = await buildClinicWithDoctor(app);
    await buildSlots(app, { doctorId: doctor.doctorId, clinicId, count: 1 });
    const watcher = await buildPatient(app);
    const opened: Socket[] = [];
    try {
      const { socket } = await listen(app, watcher.token, opened);
      const topic = topics.slots(doctor.doctorId);
      const refused = await whileStopped(() => timed(() => subscribe(socket, topic)));
      expect(refused.value).toMatchObject({ ok: false, code: "UNAVAILABLE" });
      expect(refused.ms).toBeLessThan(REPLY_BOUND_MS);
      // Back: the node closed its clients' transports on hearing the channel again; a new socket subscribes.
      const again = await listen(app, watcher.token, opened);
      expect(await subscribe(again.socket, topic)).toMatchObject({ ok: true, topic });
    } finally {
      for (const socket of opened) socket.disconnect();
    }
  });

  it("reports Redis down on /ready, and still serves /metrics, within 2 s", async () => {
    const [ready, metrics] = await whileStopped(() =>
      Promise.all([timed(() => fetch(`${app.url}/api/v1/ready`)), timed(() => fetch(`${app.url}/metrics`))]),
    );
    expect(ready.value.status).toBe(503);
    const body = await readJson(ready.value, readinessSchema);
    expect(body.checks.redis).toMatchObject({ status: "down" });
    expect(body.checks.postgres).toMatchObject({ status: "up" });
    // The HTTP figures are there; the job counts, which live in Redis, are not.
    expect(metrics.value.status).toBe(200);
    const text = await metrics.value.text();
    expect(text).toContain("http_request_duration_seconds_count");
    expect(text).not.toMatch(/^queue_jobs\{/m);
    expect(Math.max(ready.ms, metrics.ms)).toBeLessThan(REPLY_BOUND_MS);
  }, 60_000);

  it("bounds every Redis command by the command timeout when Redis holds the connection open and never answers", async () => {
    const { clinicId, doctor } = await buildClinicWithDoctor(app);
    const [slot] = await buildSlots(app, { doctorId: doctor.doctorId, clinicId, count: 1 });
    const patient = await buildPatient(app, { tier: "standard" });
    const person = await buildPerson(app, "patient");

    const pid = await redis.pid();
    process.kill(pid, "SIGSTOP");
    let replies: [Timed<Reply>, Timed<Response>];
    try {
      replies = await Promise.all([timed(() => hold(app, patient, { slotId: slot!.id })), timed(() => login(app, person.user.email!, "10.9.2.1"))]);
    } finally {
      process.kill(pid, "SIGCONT");
    }
    const [held, signIn] = replies;
    expect(held.value.status).toBe(201);
    expect(signIn.value.status).toBe(503);
    expect(Math.max(held.ms, signIn.ms)).toBeLessThan(REPLY_BOUND_MS);

    // Thawed, Redis answers again and the hold's follow-ups arrive.
    await waitFor(async () => (await app.runtime.queues.get("booking").getJob(`hold-${held.value.body.id}`)) !== undefined, 30_000);
    expect((await login(app, person.user.email!, "10.9.2.2")).status).toBe(200);
  }, 60_000);
});

describe("an api node started while Redis is down", () => {
  it("serves on PostgreSQL alone, then takes Redis up when it starts", async () => {
    const redis = await OwnRedis.prepare();
    // Not ready until it hears the events channel, which needs Redis: serving anyway is the point.
    const app = await startTestApp(
      { ...(await createTestEnvironment()), redisUrl: redis.url },
      { settleEvents: false, awaitEventsChannel: false, env: appEnv },
    );
    try {
      const { clinicId, doctor } = await buildClinicWithDoctor(app);
      const [slot] = await buildSlots(app, { doctorId: doctor.doctorId, clinicId, count: 1 });
      const patient = await buildPatient(app, { tier: "standard" });
      const person = await buildPerson(app, "patient");

      const [held, signIn] = await Promise.all([timed(() => hold(app, patient, { slotId: slot!.id })), timed(() => login(app, person.user.email!, "10.9.3.1"))]);
      expect(held.value.status).toBe(201);
      expect(signIn.value.status).toBe(503);
      expect(Math.max(held.ms, signIn.ms)).toBeLessThan(REPLY_BOUND_MS);

      await redis.start();
      await waitFor(() => isReady(app), 20_000);
      expect((await login(app, person.user.email!, "10.9.3.2")).status).toBe(200);
      await waitFor(async () => (await app.runtime.queues.get("booking").getJob(`hold-${held.value.body.id}`)) !== undefined, 30_000);
    } finally {
      await app.close();
      await redis.close();
    }
  }, 60_000);
});
