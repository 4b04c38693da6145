/**
 * The chaos run, bounded: two api node processes and a worker process on one PostgreSQL and a
 * Redis of this file's own. Patients hold, confirm, cancel and reschedule at random through both
 * nodes while, one after another, an api node is SIGKILLed and restarted, Redis is killed (-9) and
 * comes back empty, PostgreSQL's backends are terminated, and the other api node is SIGKILLed and
 * restarted. Two screens follow the doctor's slots, one on each node, as docs/realtime.md says.
 *
 * Afterwards the database must hold: no slot with two live appointments, every slot's status
 * agreeing with its appointment, every 2xx the patients got (a hold, a confirm, a cancel, a move),
 * no lapsed hold still held; and each screen must show exactly what the database has. No request
 * may answer 500 or hang; 503 (with nothing written) and a dropped connection to a killed node are
 * what clients are told to retry.
 *
 * `CHAOS_SEED=<n>` replays a run's choices (timing still varies).
 */
import { randomUUID } from "node:crypto";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { topics } from "@clinic/shared";
import { count, inconsistencies, query } from "../support/db";
import { buildClinicWithDoctor, buildPatient, buildSlots, type TestPerson } from "../support/factories";
import { createOwnRedisEnvironment, startTestApp, waitFor, type TestApp } from "../support/harness";
import { bookable, followSlots, sameView, type SlotFollower } from "../support/live";
import { freePort } from "../support/ports";
import { baseEnv, spawnServer, type ServerProcess } from "../support/process";
import { pick, seededRandom } from "../support/random";
import { dayFromNow } from "../support/dates";

const SEED = Number(process.env.CHAOS_SEED ?? 20261207);
const PATIENTS = 6;
/** Enough that the load never runs out of free slots (15-minute slots from tomorrow 08:00, within the topic's 7 days). */
const SLOTS = 200;
/** The shortest hold the configuration allows: holds taken before Redis dies lapse during the run. */
const HOLD_TTL_SECONDS = 30;
/** A request that has not been answered by then hung: a defect, not an outage. */
const REQUEST_TIMEOUT_MS = 10_000;
const JWT_SECRET = "chaos-".repeat(8);

type Outcome = number | "dropped" | "hung";
/** One request as its client saw it: what it asked, the answer (and its problem code), and when. */
type Sent = { action: Action; outcome: Outcome; code?: unknown; at: string };
type Action = "hold" | "confirm" | "cancel" | "reschedule";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("chaos: node kills, Redis data loss and dead PostgreSQL connections under a random booking load", () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  });

  it("ends with the database consistent, every 2xx kept, no lapsed hold, and every screen equal to the database", { timeout: 240_000 }, async () => {
    const environment = await createOwnRedisEnvironment();
    cleanups.push(() => environment.close());
    const nodeEnv = {
      ...baseEnv(),
      NODE_ENV: "test",
      DATABASE_URL: environment.databaseUrl,
      REDIS_URL: environment.redisUrl,
      REDIS_PREFIX: environment.prefix,
      JWT_SECRET,
      MIGRATE_ON_START: "false",
      DEMO_SEED: "false",
      WEB_DIST_DIR: "/nonexistent",
      LOG_LEVEL: "error",
      RATE_LIMIT_MAX: "1000000",
      HOLD_TTL_SECONDS: String(HOLD_TTL_SECONDS),
      // The worker's database sweeps and its check for lost schedules run often, so lapsed holds
      // whose expiry jobs died with Redis are found within the run.
      LIFECYCLE_EVERY_SECONDS: "2",
      WORKER_SCHEDULE_CHECK_SECONDS: "1",
      DOMAIN_EVENTS_SWEEP_SECONDS: "1",
      SHUTDOWN_TIMEOUT_SECONDS: "5",
    };

    // ---- the clinic: one doctor's slots that every patient wants, patients who may book them free
    const seeding = await startTestApp(environment, { env: { JWT_SECRET } });
    const { clinicId, doctor } = await buildClinicWithDoctor(seeding);
    const slotIds = (await buildSlots(seeding, { doctorId: doctor.doctorId, clinicId, date: dayFromNow(1), from: "08:00", count: SLOTS })).map((slot) => slot.id);
    const patients: TestPerson[] = [];
    for (let i = 0; i < PATIENTS; i++) {
      // The vise tier books free with a doctor it knows, so a hold can be confirmed without paying.
      const patient = await buildPatient(seeding, { tier: "vise" });
      await query(seeding, `insert into doctor_patient (id, doctor_id, patient_id) values (gen_random_uuid(), ?, ?)`, [doctor.doctorId, patient.patientId]);
      patients.push(patient);
    }
    const watcher = await buildPatient(seeding);
    await seeding.close();

    // ---- two api nodes and a worker, each its own process
    const started: ServerProcess[] = [];
    cleanups.push(async () => {
      for (const server of started) if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill("SIGKILL");
    });
    const apiPorts = [await freePort(), await freePort()];
    const startNode = async (env: Record<string, string>): Promise<ServerProcess> => {
      const server = spawnServer({ ...nodeEnv, ...env });
      started.push(server);
      const url = await server.url;
      await waitFor(async () => (await fetch(`${url}/api/v1/ready`).catch(() => null))?.status === 200, 30_000);
      return server;
    };
    const apis = await Promise.all(apiPorts.map((port) => startNode({ ROLE: "api", PORT: String(port) })));
    await startNode({ ROLE: "worker", PORT: "0" });
    const urls = apiPorts.map((port) => `http://127.0.0.1:${port}`);

    const topic = topics.slots(doctor.doctorId);
    const screens: SlotFollower[] = urls.map((url) => followSlots(url, watcher.token, topic));
    cleanups.push(async () => screens.forEach((screen) => screen.socket.disconnect()));
    await waitFor(() => screens.every((screen) => screen.acks.length > 0));

    // ---- the load: each patient, with a generator of its own, books and changes its mind
    const outcomes: Sent[] = [];
    /** What each appointment must be, from the last 2xx its patient got for it; absent once an answer was lost. */
    const expected = new Map<string, string>();
    let running = true;

    async function send(action: Action, patient: TestPerson, path: string, body: unknown, next: () => number) {
      const init = {
        method: "POST",
        headers: { ...patient.headers, "content-type": "application/json", ...(action === "hold" ? { "idempotency-key": randomUUID() } : {}) },
        body: JSON.stringify(body),
      };
      const attempt = async (): Promise<{ outcome: Outcome; json: Record<string, unknown> | null }> => {
        try {
          const response = await fetch(`${pick(urls, next)}/api/v1${path}`, { ...init, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
          const text = await response.text();
          return { outcome: response.status, json: text.startsWith("{") ? (JSON.parse(text) as Record<string, unknown>) : null };
        } catch (error) {
          return { outcome: (error as Error).name === "TimeoutError" ? "hung" : "dropped", json: null };
        }
      };
      let reply = await attempt();
      // A client's retry of an answer it never got, as the API asks: a hold replays under its
      // Idempotency-Key on the other node; the rest are safe to repeat (a second confirm or cancel is a 409).
      const retried = reply.outcome === "dropped" || reply.outcome === 503;
      if (retried) reply = await attempt();
      outcomes.push({ action, outcome: reply.outcome, code: reply.json?.code, at: new Date().toISOString() });
      const succeeded = typeof reply.outcome === "number" && reply.outcome < 300;
      // After a lost answer, a refusal may be of the first try's own effect: the state is not known.
      return { ...reply, succeeded, known: succeeded || (!retried && typeof reply.outcome === "number" && reply.outcome < 500) };
    }

    const patientLoops = patients.map(async (patient, index) => {
      const next = seededRandom(SEED + index);
      while (running) {
        const held = await send("hold", patient, "/appointments", { slotId: pick(slotIds, next) }, next);
        if (held.outcome !== 201) {
          // Taken, or the node is down: a person would look again a moment later.
          await sleep(held.outcome === "dropped" ? 200 : 20 + next() * 30);
          continue;
        }
        const id = held.json!.id as string;
        expected.set(id, "pending");
        // A person's pace: a moment between steps.
        await sleep(50 + next() * 100);
        const choice = next();
        // Some are left to lapse.
        if (choice < 0.08) continue;
        if (choice < 0.3) {
          const cancelled = await send("cancel", patient, `/appointments/${id}/cancel`, { reason: "chaos" }, next);
          if (cancelled.succeeded) expected.set(id, "cancelled");
          else expected.delete(id);
          continue;
        }
        const confirmed = await send("confirm", patient, `/appointments/${id}/confirm`, {}, next);
        if (!confirmed.succeeded) {
          // Refused (the hold lapsed, say) or unknown: either way not ours to predict.
          expected.delete(id);
          continue;
        }
        expected.set(id, "scheduled");
        await sleep(50 + next() * 100);
        // Most change their minds again, so slots keep coming free for the others.
        const then = next();
        if (then < 0.4) {
          const moved = await send("reschedule", patient, `/appointments/${id}/reschedule`, { slotId: pick(slotIds, next) }, next);
          if (moved.succeeded) {
            const body = moved.json as { previous: { id: string; status: string }; appointment: { id: string; status: string } };
            expected.set(body.previous.id, body.previous.status);
            expected.set(body.appointment.id, body.appointment.status);
          } else if (!moved.known) expected.delete(id);
        } else if (then < 0.95) {
          const cancelled = await send("cancel", patient, `/appointments/${id}/cancel`, { reason: "chaos" }, next);
          if (cancelled.succeeded) expected.set(id, "cancelled");
          else if (!cancelled.known) expected.delete(id);
        }
      }
    });

    // ---- the faults, one after another, while the load runs
    const admin = new pg.Client({ connectionString: environment.databaseUrl });
    await admin.connect();
    cleanups.push(() => admin.end());
    const databaseName = new URL(environment.databaseUrl).pathname.slice(1);
    const killAndRestart = async (index: number) => {
      apis[index]!.child.kill("SIGKILL");
      await apis[index]!.exited;
      apis[index] = await startNode({ ROLE: "api", PORT: String(apiPorts[index]) });
    };
    const faults: string[] = [];
    await sleep(4_000);
    await killAndRestart(0);
    faults.push(`api node 1 SIGKILLed and restarted by ${new Date().toISOString()}`);
    await sleep(4_000);
    const redisKilledAt = new Date();
    await environment.redis.kill();
    await sleep(1_500);
    await environment.redis.start();
    faults.push(`Redis killed -9 and restarted empty by ${new Date().toISOString()}`);
    await sleep(6_000);
    for (let round = 0; round < 3; round++) {
      const { rows } = await admin.query<{ terminated: boolean }>(
        `select pg_terminate_backend(pid) as terminated from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()`,
        [databaseName],
      );
      expect(rows.filter((row) => row.terminated).length).toBeGreaterThan(0);
      await sleep(1_000);
    }
    faults.push(`PostgreSQL backends terminated three times by ${new Date().toISOString()}`);
    await sleep(3_000);
    await killAndRestart(1);
    faults.push(`api node 2 SIGKILLed and restarted by ${new Date().toISOString()}`);
    await sleep(4_000);
    running = false;
    await Promise.all(patientLoops);

    // ---- what the clients were told
    const tally = new Map<string, number>();
    for (const { action, outcome } of outcomes) tally.set(`${action} ${outcome}`, (tally.get(`${action} ${outcome}`) ?? 0) + 1);
    const summary = [...faults, ...[...tally].sort().map(([what, n]) => `${what}: ${n}`)];
    expect(faults).toHaveLength(4);
    expect(outcomes.filter((o) => o.action === "hold" && o.outcome === 201).length, summary.join(", ")).toBeGreaterThan(20);
    // Never a 500, never a hang: 503 and a dropped connection to a killed node are the only failures.
    expect(outcomes.filter((o) => o.outcome === "hung" || (typeof o.outcome === "number" && o.outcome >= 500 && o.outcome !== 503)), summary.join(", ")).toEqual([]);

    // ---- what the database says, read through a fresh node of the test's own
    const inspector: TestApp = await startTestApp(environment, { env: { JWT_SECRET } });
    cleanups.push(() => inspector.close());
    expect(await inconsistencies(inspector, doctor.doctorId)).toEqual({ doubles: 0, mismatched: [], overlapping: 0 });

    const rows = await query<{ id: string; status: string }>(inspector, `select id, status from appointment where doctor_id = ?`, [doctor.doctorId]);
    const actual = new Map(rows.map((row) => [row.id, row]));
    const lost = [...expected].flatMap(([id, status]) => {
      const row = actual.get(id);
      // A hold the patient left may have lapsed and been expired since; nothing else may change.
      const kept = row && (row.status === status || (status === "pending" && row.status === "expired"));
      return kept ? [] : [{ id, expected: status, actual: row?.status ?? "missing" }];
    });
    expect(lost).toEqual([]);

    // No lapsed hold stays held: the worker's database sweep (every LIFECYCLE_EVERY_SECONDS, 2 s here)
    // expires those whose jobs Redis lost. Holds keep lapsing while this runs, so "stays" means
    // lapsed more than 10 s (five sweeps) ago, not a moment ago.
    const lapsedHeld = () =>
      query(
        inspector,
        `select a.id from appointment a where a.doctor_id = ? and a.status = 'pending' and a.hold_expires_at < now() - interval '10 seconds'
         union all select s.id from slot s where s.doctor_id = ? and s.status = 'held' and s.hold_expires_at < now() - interval '10 seconds'`,
        [doctor.doctorId, doctor.doctorId],
      );
    await waitFor(async () => (await lapsedHeld()).length === 0, 20_000).catch(async () => expect(await lapsedHeld()).toEqual([]));
    // Among them holds taken before Redis died, whose expiry jobs died with it: the first lapse
    // HOLD_TTL_SECONDS after they were taken, which on a slow machine can be after the load ended.
    const expiredFromBeforeTheLoss = () =>
      count(inspector, `select count(*) n from appointment where doctor_id = ? and status = 'expired' and created_at < ?`, [doctor.doctorId, redisKilledAt]);
    await waitFor(async () => (await expiredFromBeforeTheLoss()) > 0, (HOLD_TTL_SECONDS + 15) * 1000);
    expect(await lapsedHeld()).toEqual([]);

    // ---- every screen converges on the database
    const database = async () => bookable(await query<{ id: string; status: string; version: number }>(inspector, `select id, status, version from slot where doctor_id = ?`, [doctor.doctorId]));
    for (const screen of screens) {
      expect(screen.refusals).toEqual([]);
      await waitFor(async () => sameView(screen.shown(), await database()), 30_000).catch(async () =>
        expect([...screen.shown()].sort(), [...faults, ...screen.log].join("\n")).toEqual([...(await database())].sort()),
      );
    }
    // The screens lived through the Redis data loss: they saw at least two epochs.
    for (const screen of screens) expect(new Set(screen.acks.map((ack) => ack.epoch)).size).toBeGreaterThanOrEqual(2);
  });
});
