/**
 * PostgreSQL connections dying under the app (`pg_terminate_backend`, which the test database's
 * superuser may call): broken connections leave the pool, reads and idempotency-keyed writes run
 * again on a fresh connection, a transaction that did not reach COMMIT runs again, a COMMIT with
 * an unknown outcome does not, and what cannot be retried is a 503 with Retry-After, never a 500.
 * A statement is caught mid-flight by a table lock the test holds on a connection of its own.
 */
import { randomUUID } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROBLEM_CONTENT_TYPE } from "@clinic/shared";
import { hold, request } from "../support/api";
import { count, inconsistencies, query } from "../support/db";
import { buildClinicWithDoctor, buildPatient, buildPerson, buildSlots, type TestPerson } from "../support/factories";
import { createTestEnvironment, databaseUrl, startTestApp, useStarted, waitFor } from "../support/harness";

let database = "";
const app = useStarted(async () => {
  const environment = await createTestEnvironment();
  database = new URL(environment.databaseUrl).pathname.slice(1);
  // Replies do not wait for domain events: their delivery meets the same dying connections.
  return startTestApp(environment, { env: { RATE_LIMIT_MAX: "100000" }, settleEvents: false });
});

/** The test's own connections to the app's database: a lock holder and an observer, never terminated. */
let locker: pg.Client;
let observer: pg.Client;
let ours: number[] = [];
beforeAll(async () => {
  locker = new pg.Client({ connectionString: databaseUrl(database) });
  observer = new pg.Client({ connectionString: databaseUrl(database) });
  await Promise.all([locker.connect(), observer.connect()]);
  const pids = await Promise.all([locker, observer].map(async (client) => (await client.query<{ pid: number }>("select pg_backend_pid() as pid")).rows[0]!.pid));
  ours = pids;
});
afterAll(async () => {
  await Promise.all([locker?.end(), observer?.end()]);
});

/** Ends every session of the app on its database, as an operator's `pg_terminate_backend` would. */
async function terminateAppBackends(only?: number[]): Promise<number> {
  const { rowCount } = await observer.query(
    `select pg_terminate_backend(pid) from pg_stat_activity
      where datname = current_database() and backend_type = 'client backend' and pid <> all($1::int[])
        and ($2::int[] is null or pid = any($2::int[]))`,
    [ours, only ?? null],
  );
  return rowCount ?? 0;
}

/** The app's session waiting on the test's lock (other than `not`), with the statement it is running. */
async function blocked(not: number[] = []): Promise<{ pid: number; query: string } | undefined> {
  const { rows } = await observer.query<{ pid: number; query: string }>(
    `select pid, query from pg_stat_activity
      where datname = current_database() and wait_event_type = 'Lock' and pid <> all($1::int[])`,
    [[...ours, ...not]],
  );
  return rows[0];
}

/**
 * Holds `lock table <table>` while `send` runs: terminates the app session that the lock blocks,
 * waits for the request's next session to block in turn (when `again`), then lets go.
 */
async function terminatedOnce<T>(table: string, mode: string, send: () => Promise<T>, options: { again: boolean }) {
  await locker.query("begin");
  await locker.query(`lock table ${table} in ${mode} mode`);
  const reply = send();
  try {
    const victim = await waitFor(() => blocked());
    expect(await terminateAppBackends([victim.pid])).toBe(1);
    const retry = options.again ? await waitFor(() => blocked([victim.pid])) : undefined;
    return { victim, retry, reply };
  } finally {
    await locker.query("commit");
  }
}

const expectDatabaseUnavailable = async (response: Response) => {
  expect(response.status).toBe(503);
  expect(response.headers.get("retry-after")).toBe("2");
  expect(response.headers.get("content-type")).toContain(PROBLEM_CONTENT_TYPE);
  expect(await response.json()).toMatchObject({ status: 503, code: "DATABASE_UNAVAILABLE" });
};

describe("PostgreSQL connections terminated under the app", () => {
  it("drops a connection the server ended from the pool, even when its query's failure releases it at once", async () => {
    const pool = await app.runtime.orm.em.getConnection().getNativeClient();
    const client = await pool.connect();
    const { rows } = await client.query<{ pid: number }>("select pg_backend_pid() as pid");
    const pid = rows[0]!.pid;
    const sleeping = client.query("select pg_sleep(30)");
    await waitFor(async () => (await observer.query(`select 1 from pg_stat_activity where pid = $1 and wait_event = 'PgSleep'`, [pid])).rowCount);
    // Released and taken again in the same tick as the failure, before the socket's end is read.
    const next = sleeping.then(
      () => Promise.reject(new Error("the sleep was not terminated")),
      (error: { code?: string }) => {
        expect(error.code).toBe("57P01");
        client.release();
        return pool.connect();
      },
    );
    await terminateAppBackends([pid]);
    const fresh = await next;
    try {
      expect((await fresh.query<{ pid: number }>("select pg_backend_pid() as pid")).rows[0]!.pid).not.toBe(pid);
    } finally {
      fresh.release();
    }
  });

  it("frees the pool slot of a checked-out client whose connection died, even if its holder never releases it", async () => {
    // What a BEGIN failing on a dead connection leaves (kysely does not release it): clients taken
    // and never given back. As many as the pool holds, so a leak would leave nothing for requests.
    const pool = await app.runtime.orm.em.getConnection().getNativeClient();
    const before = pool.totalCount;
    const abandoned = await Promise.all(Array.from({ length: 20 }, () => pool.connect()));
    const pids = await Promise.all(abandoned.map(async (client) => (await client.query<{ pid: number }>("select pg_backend_pid() as pid")).rows[0]!.pid));
    expect(await terminateAppBackends(pids)).toBe(20);
    await waitFor(() => pool.totalCount <= before);
    expect((await request(app, await buildPatient(app), "GET", "/me")).status).toBe(200);
    // Their holders releasing them late changes nothing.
    for (const client of abandoned) client.release();
    expect((await query<{ one: number }>(app, "select 1 as one"))[0]!.one).toBe(1);
  });

  it("answers a read whose connection died mid-query from a fresh connection", async () => {
    const { clinicId, doctor } = await buildClinicWithDoctor(app);
    await buildSlots(app, { doctorId: doctor.doctorId, clinicId, count: 3 });
    const { victim, retry, reply } = await terminatedOnce(
      "slot",
      "access exclusive",
      () => fetch(`${app.url}/api/v1/slots?doctorId=${doctor.doctorId}`),
      { again: true },
    );
    expect(retry!.pid).not.toBe(victim.pid);
    const response = await reply;
    expect(response.status).toBe(200);
    expect(((await response.json()) as { items: unknown[] }).items).toHaveLength(3);
  });

  it("runs a keyed booking whose transaction died before COMMIT once more, and books the slot once", async () => {
    const { clinicId, doctor } = await buildClinicWithDoctor(app);
    const [slot] = await buildSlots(app, { doctorId: doctor.doctorId, clinicId, count: 1 });
    const patient = await buildPatient(app);
    const key = randomUUID();
    const { victim, reply } = await terminatedOnce("appointment", "exclusive", () => hold(app, patient, { slotId: slot!.id }, key), { again: true });
    // It died in the booking's write (one statement: the slot taken and the appointment inserted), not in a read before it.
    expect(victim.query).toMatch(/^with taken as \(\s*update slot/i);
    const booked = await reply;
    expect(booked.status).toBe(201);
    expect(await count(app, `select count(*) n from appointment where slot_id = ?`, [slot!.id])).toBe(1);
    expect(await query(app, `select response_status from idempotency_record where key = ?`, [key])).toEqual([{ response_status: 201 }]);
    const again = await hold(app, patient, { slotId: slot!.id }, key);
    expect(again).toEqual(booked);
    expect(await inconsistencies(app, doctor.doctorId)).toEqual({ doubles: 0, mismatched: [], overlapping: 0 });
  });

  it("answers a booking without a key whose transaction died with 503, Retry-After and problem+json; nothing is booked", async () => {
    const { clinicId, doctor } = await buildClinicWithDoctor(app);
    const [slot] = await buildSlots(app, { doctorId: doctor.doctorId, clinicId, count: 1 });
    const patient = await buildPatient(app);
    const { reply } = await terminatedOnce(
      "appointment",
      "exclusive",
      () => request(app, patient, "POST", "/appointments", { slotId: slot!.id }),
      { again: false },
    );
    await expectDatabaseUnavailable(await reply);
    expect(await count(app, `select count(*) n from appointment where slot_id = ?`, [slot!.id])).toBe(0);
    expect((await query(app, `select status from slot where id = ?`, [slot!.id]))[0]!.status).toBe("available");
    // The client's retry, once the database answers again, books it.
    expect((await hold(app, patient, { slotId: slot!.id })).status).toBe(201);
  });

  describe("a write that is one transaction", () => {
    let admin: TestPerson;
    let clinicId: string;
    beforeAll(async () => {
      ({ clinicId } = await buildClinicWithDoctor(app));
      admin = await buildPerson(app, "clinic_admin", { clinicIds: [clinicId] });
    });
    const createToken = (name: string) => request(app, admin, "POST", `/clinics/${clinicId}/display-tokens`, { name });
    const tokensNamed = (name: string) => count(app, `select count(*) n from display_token where name = ?`, [name]);

    it("runs again on a fresh connection when its connection died before COMMIT", async () => {
      const { victim, retry, reply } = await terminatedOnce("display_token", "exclusive", () => createToken("Lobby"), { again: true });
      expect(victim.query).toMatch(/^insert into "?display_token"?/i);
      expect(retry!.pid).not.toBe(victim.pid);
      expect((await reply).status).toBe(201);
      expect(await tokensNamed("Lobby")).toBe(1);
    });

    it("is not run again when its connection died during COMMIT (the outcome is unknown): 503", async () => {
      // A deferred trigger runs at COMMIT: it counts the commits attempted and waits to be terminated.
      await observer.query(`
        create sequence commits_attempted;
        create function slow_commit() returns trigger language plpgsql as $$
          begin perform nextval('commits_attempted'); perform pg_sleep(30); return null; end $$;
        create constraint trigger slow_commit after insert on display_token
          deferrable initially deferred for each row execute function slow_commit();`);
      try {
        const reply = createToken("Hall");
        const committing = await waitFor(async () => (await observer.query<{ pid: number }>(`select pid from pg_stat_activity where datname = current_database() and wait_event = 'PgSleep'`)).rows[0]);
        await terminateAppBackends([committing.pid]);
        await expectDatabaseUnavailable(await reply);
        expect((await observer.query(`select last_value from commits_attempted`)).rows).toEqual([{ last_value: "1" }]);
      } finally {
        await observer.query(`drop trigger slow_commit on display_token; drop function slow_commit(); drop sequence commits_attempted;`);
      }
      // Here the commit had not happened; the client's retry creates it.
      expect(await tokensNamed("Hall")).toBe(0);
      expect((await createToken("Hall")).status).toBe(201);
    });
  });

  it("under load, with every app session terminated four times: no 5xx but 503 with Retry-After, no double booking, then serves normally", async () => {
    const { clinicId, doctor } = await buildClinicWithDoctor(app);
    const slots = await buildSlots(app, { doctorId: doctor.doctorId, clinicId, count: 12 });
    const patients = await Promise.all(Array.from({ length: 8 }, () => buildPatient(app)));
    const outcomes: { what: string; status: number; retryAfter: string | null; code?: string }[] = [];
    let done = 0;
    const record = async (what: string, response: Response) => {
      const body = (await response.json().catch(() => ({}))) as { code?: string };
      outcomes.push({ what, status: response.status, retryAfter: response.headers.get("retry-after"), code: body.code });
      done++;
    };
    const ROUNDS = 25;
    const readers = patients.slice(0, 4).map(async (patient, i) => {
      const paths = [`/slots?doctorId=${doctor.doctorId}`, `/clinics/${clinicId}`, "/appointments?scope=mine", "/me"];
      for (let n = 0; n < ROUNDS; n++) await record("read", await request(app, patient, "GET", paths[(n + i) % paths.length]!));
    });
    const bookers = patients.map(async (patient, i) => {
      for (let n = 0; n < ROUNDS; n++) {
        const slot = slots[(n * 5 + i) % slots.length]!;
        // Half send an Idempotency-Key, and send a 503'd request again with the same key, as a client should.
        const key = i % 2 === 0 ? randomUUID() : undefined;
        for (let attempt = 0; attempt < 2; attempt++) {
          const response = await request(app, patient, "POST", "/appointments", { slotId: slot.id }, key ? { "idempotency-key": key } : {});
          const body = (await response.clone().json()) as { id?: string };
          await record(key ? "keyed hold" : "hold", response);
          if (response.status !== 503 || !key) {
            // Free the slot again so the rounds keep contending for the same few slots.
            if (response.status === 201 && body.id) await record("cancel", await request(app, patient, "POST", `/appointments/${body.id}/cancel`, { reason: "test" }));
            break;
          }
        }
      }
    });
    let terminated = 0;
    const killer = (async () => {
      for (let round = 1; round <= 4; round++) {
        await waitFor(() => done >= round * 60 || undefined, 60_000);
        terminated += await terminateAppBackends();
      }
    })();
    await Promise.all([...readers, ...bookers, killer]);

    expect(terminated).toBeGreaterThan(0);
    const failed = outcomes.filter((o) => o.status >= 500 && !(o.status === 503 && o.retryAfter === "2" && o.code === "DATABASE_UNAVAILABLE"));
    expect(failed).toEqual([]);
    expect(outcomes.filter((o) => o.status === 201).length).toBeGreaterThan(0);
    expect(await inconsistencies(app, doctor.doctorId)).toEqual({ doubles: 0, mismatched: [], overlapping: 0 });
    // Every key that was answered was answered once: its record holds the answer, never a half-claimed key.
    expect(await count(app, `select count(*) n from idempotency_record where response_status = 0`)).toBe(0);

    // Afterwards: reads and a booking as usual.
    expect((await request(app, patients[0]!, "GET", `/slots?doctorId=${doctor.doctorId}`)).status).toBe(200);
    const [fresh] = await buildSlots(app, { doctorId: doctor.doctorId, clinicId, count: 1, from: "17:00" });
    expect((await hold(app, patients[0]!, { slotId: fresh!.id })).status).toBe(201);
  }, 90_000);
});
