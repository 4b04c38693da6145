/**
 * Redis loses its data (FLUSHALL; a restart without persistence) while a client watches a doctor's
 * slots and patients keep booking: the topic's counter starts again from 1 in a new epoch, and a
 * client following docs/realtime.md (the shared `TopicCursor`, a stock Socket.IO client) resyncs
 * instead of dropping the new events as already seen. Its view ends equal to the database.
 */
import { Redis } from "ioredis";
import { io } from "socket.io-client";
import { afterAll, describe, expect, it } from "vitest";
import { TopicCursor, type EventEnvelope, type SlotLive, type SubscribeAck } from "@clinic/shared";
import { hold } from "../support/api";
import { query } from "../support/db";
import { buildClinicWithDoctor, buildPatient, buildSlots } from "../support/factories";
import { createOwnRedisEnvironment, startTestApp, subscribe, waitFor, type TestApp } from "../support/harness";

/** What a patient's screen shows of a doctor's bookable slots: status and version by slot id. */
type View = Map<string, { status: string; version: number }>;
const BOOKABLE = new Set(["available", "held"]);

/**
 * The documented client: subscribe on every connect, apply events the cursor passes (keeping the
 * higher version per slot), resubscribe when it asks. Records the acks it got.
 */
function followSlots(url: string, token: string, topic: string) {
  const socket = io(url, { auth: { token }, transports: ["websocket"], forceNew: true, reconnectionDelay: 100, reconnectionDelayMax: 500 });
  const cursor = new TopicCursor();
  const view: View = new Map();
  const acks: { epoch: string; seq: number }[] = [];
  const received: EventEnvelope[] = [];
  let generation = 0;

  const apply = (event: EventEnvelope) => {
    const slot = event.data as SlotLive;
    const known = view.get(slot.slotId);
    if (known && known.version >= slot.version) return;
    view.set(slot.slotId, { status: slot.status, version: slot.version });
  };
  const follow = (step: { apply: EventEnvelope[]; resync: boolean }) => {
    step.apply.forEach(apply);
    if (step.resync) void resync();
  };
  async function resync() {
    const mine = ++generation;
    cursor.subscribing();
    const ack = (await subscribe(socket, topic)) as SubscribeAck;
    if (mine !== generation) return;
    if (!ack.ok) throw new Error(`subscribe refused: ${ack.code}`);
    acks.push({ epoch: ack.epoch, seq: ack.seq });
    view.clear();
    for (const slot of (ack.snapshot as { slots: SlotLive[] }).slots) view.set(slot.slotId, { status: slot.status, version: slot.version });
    follow(cursor.acked(ack));
  }
  socket.on("connect", () => void resync());
  socket.on("event", (event: EventEnvelope) => {
    received.push(event);
    follow(cursor.received(event));
  });
  return { socket, view, acks, received };
}

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
    const database = async (): Promise<View> => {
      const rows = await query<{ id: string; status: string; version: number }>(app, `select id, status, version from slot where doctor_id = ?`, [doctor.doctorId]);
      return new Map(rows.filter((row) => BOOKABLE.has(row.status)).map((row) => [row.id, { status: row.status, version: row.version }]));
    };
    const shown = (): View => new Map([...client.view].filter(([, slot]) => BOOKABLE.has(slot.status)));
    const viewMatchesDatabase = async () => {
      const expected = await database();
      return JSON.stringify([...shown()].sort()) === JSON.stringify([...expected].sort());
    };
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
    expect([...shown().keys()]).toEqual(expect.arrayContaining([slots[6]!.id, slots[7]!.id]));
  });
});
