/**
 * Redis loses its data (FLUSHALL; a restart without persistence) while a client watches a doctor's
 * slots and patients keep booking: the topic's counter starts again from 1 in a new epoch, and a
 * client following docs/realtime.md (the shared `TopicCursor`, a stock Socket.IO client) resyncs
 * instead of dropping the new events as already seen. Its view ends equal to the database.
 */
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { hold } from "../support/api";
import { query } from "../support/db";
import { buildClinicWithDoctor, buildPatient, buildSlots } from "../support/factories";
import { createOwnRedisEnvironment, startTestApp, waitFor, type TestApp } from "../support/harness";
import { bookable, followSlots, sameView } from "../support/live";

describe("a client's view after Redis loses its data", () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it("resyncs on the new epoch after FLUSHALL and after an empty restart, and ends equal to the database", async () => {
    // A Redis of this test's own, so flushing and restarting it touches nobody else.
    const environment = await createOwnRedisEnvironment();
    cleanups.push(() => environment.close());
    const { redis } = environment;
    const app: TestApp = await startTestApp(environment, { env: { RATE_LIMIT_MAX: "100000" } });
    cleanups.push(() => app.close());

    const { clinicId, doctor } = await buildClinicWithDoctor(app);
    const slots = await buildSlots(app, { doctorId: doctor.doctorId, clinicId, count: 8 });
    const watcher = await buildPatient(app);
    const topic = `slots:${doctor.doctorId}`;
    const client = followSlots(app.url, watcher.token, topic);
    cleanups.push(async () => client.socket.disconnect());

    /** The database's bookable slots of the doctor, as the view should show them. */
    const database = async () =>
      bookable(await query<{ id: string; status: string; version: number }>(app, `select id, status, version from slot where doctor_id = ?`, [doctor.doctorId]));
    const viewMatchesDatabase = async () => sameView(client.shown(), await database());
    const book = async (index: number) => {
      const patient = await buildPatient(app);
      expect((await hold(app, patient, { slotId: slots[index]!.id })).status).toBe(201);
    };

    await waitFor(() => client.acks.length === 1);
    for (const index of [0, 1, 2]) await book(index);
    await waitFor(viewMatchesDatabase);
    const before = client.acks[0]!.epoch;
    const lastSeqBefore = client.received.at(-1)!.seq;
    expect(lastSeqBefore).toBeGreaterThanOrEqual(3);

    // FLUSHALL: the counter is gone; the next booking's event starts from 1 again.
    const admin = new Redis(redis.url);
    await admin.flushall();
    admin.disconnect();
    await book(3);
    await waitFor(viewMatchesDatabase);
    const afterFlush = client.received.find((event) => event.epoch !== before)!;
    // A seq-only client would have dropped it as already seen.
    expect(afterFlush.seq).toBeLessThanOrEqual(lastSeqBefore);
    expect(client.acks.at(-1)!.epoch).toBe(afterFlush.epoch);
    expect(client.view.get(slots[3]!.id)).toMatchObject({ status: "held" });

    // A restart with nothing kept: the node hears the channel again and its clients resync too.
    await redis.restartEmpty();
    await waitFor(async () => (await fetch(`${app.url}/api/v1/ready`)).status === 200, 20_000);
    for (const index of [4, 5]) await book(index);
    await waitFor(viewMatchesDatabase);
    const epochs = new Set(client.acks.map((ack) => ack.epoch));
    expect(epochs.size).toBe(3);
    for (const index of [0, 1, 2, 3, 4, 5]) expect(client.view.get(slots[index]!.id)).toMatchObject({ status: "held" });
    expect([...client.shown().keys()]).toEqual(expect.arrayContaining([slots[6]!.id, slots[7]!.id]));
  });
});
