/**
 * The waiting-room feed is built only where a screen watches (real PostgreSQL, Redis and
 * socket.io-client, two api nodes on one database and Redis): while no node holds a socket
 * subscribed to `display:{clinicId}`, queue changes of the clinic build no feed and publish nothing
 * on its display topic; a screen that subscribes (on either node) gets a correct snapshot, then sees
 * every change — the call announced once across the nodes, the feed within the debounce, bursts
 * gathered into one feed — and ends equal to the database; once the last screen leaves, the feed
 * stops. Every envelope published anywhere is read off the Redis events channel itself.
 */
import { Redis } from "ioredis";
import type { Socket } from "socket.io-client";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { displaySnapshotSchema, realtimeEventSchemas, type DisplaySnapshot, type EventEnvelope, type QueueEntryView, type SubscribeAck } from "@clinic/shared";
import { eventsChannel } from "../../server/src/platform/events";
import { connected, connectSocket, createTestEnvironment, seqOf, startTestApp, type TestApp, type TestEnvironment, waitFor } from "../support/harness";
import { buildDoctor, buildMiddayClinic, buildNamedPatient, buildPerson, type TestPerson } from "../support/factories";
import { call, callNext, startAndFinish, walkIn } from "../support/api";

/** Long enough that a burst of requests lands inside one window even on a busy machine. */
const DEBOUNCE_MS = 1_000;

describe("the display feed, built only where a screen watches", () => {
  let environment: TestEnvironment;
  let nodeA: TestApp;
  let nodeB: TestApp;
  let bus: Redis;
  /** Every envelope published on the events channel, by any node. */
  const published: EventEnvelope[] = [];
  const sockets: Socket[] = [];
  /** A clinic whose screen (on node B) is the clock: its feed arriving shows the nodes had time to build any other. */
  let clock: { id: string; reception: TestPerson; watcher: Screen };

  beforeAll(async () => {
    environment = await createTestEnvironment();
    const env = { DISPLAY_FEED_DEBOUNCE_MS: String(DEBOUNCE_MS) };
    [nodeA, nodeB] = await Promise.all([startTestApp(environment, { env }), startTestApp(environment, { env })]);
    bus = new Redis(environment.redisUrl);
    bus.on("message", (_channel: string, raw: string) => published.push(JSON.parse(raw) as EventEnvelope));
    await bus.subscribe(eventsChannel(environment.prefix));

    const other = await buildMiddayClinic(nodeA);
    const otherReception = await buildPerson(nodeA, "receptionist", { clinicIds: [other.id] });
    const watcher = await screen(nodeB, { token: otherReception.token });
    expect((await watcher.subscribe(other.id)).ok).toBe(true);
    clock = { id: other.id, reception: otherReception, watcher };
  });
  afterEach(() => {
    for (const socket of sockets.splice(0)) socket.disconnect();
  });
  afterAll(async () => {
    clock.watcher.socket.disconnect();
    bus.disconnect();
    await Promise.all([nodeA.close(), nodeB.close()]);
  });

  type Screen = Awaited<ReturnType<typeof screen>>;
  type Clinic = Awaited<ReturnType<typeof clinicWithStaff>>;

  /** A clinic with its admin (who makes display tokens), a receptionist and a doctor. */
  async function clinicWithStaff() {
    const { id } = await buildMiddayClinic(nodeA);
    const [admin, reception, doctor] = await Promise.all([
      buildPerson(nodeA, "clinic_admin", { clinicIds: [id] }),
      buildPerson(nodeA, "receptionist", { clinicIds: [id] }),
      buildDoctor(nodeA, [id]),
    ]);
    return { id, admin, reception, doctor };
  }
  /** A socket on `node` that records the events it receives; `subscribe` to a clinic's display. */
  async function screen(node: TestApp, auth: Record<string, unknown>) {
    const socket = connectSocket(node.url, auth);
    const events: EventEnvelope[] = [];
    socket.on("event", (envelope: EventEnvelope) => events.push(envelope));
    await connected(socket);
    const subscribe = (clinicId: string) => socket.timeout(5_000).emitWithAck("subscribe", { topic: `display:${clinicId}` }) as Promise<SubscribeAck>;
    return { socket, events, subscribe };
  }
  async function displayScreen(node: TestApp, watched: Clinic) {
    const created = await call(nodeA, watched.admin, "POST", `/clinics/${watched.id}/display-tokens`, { name: "Lobby" });
    expect(created.status).toBe(201);
    const opened = await screen(node, { displayToken: created.body.token as string });
    sockets.push(opened.socket);
    return opened;
  }

  const emergency = async (clinicId: string, reception: TestPerson) => {
    const patient = await buildNamedPatient(nodeA);
    const reply = await walkIn(nodeA, reception, clinicId, { patientId: patient.patientId, kind: "emergency", reason: "Chest pain" });
    expect(reply.status).toBe(201);
    return reply.body as QueueEntryView;
  };
  const feedsOf = (events: EventEnvelope[], clinicId: string) =>
    events.filter((e) => e.topic === `display:${clinicId}` && e.type === "display.updated").map((e) => realtimeEventSchemas["display.updated"].parse(e.data));
  /** The newest feed a screen holds (screens keep the one with the latest `asOf`). */
  const shownBy = (events: EventEnvelope[], clinicId: string) => feedsOf(events, clinicId).sort((a, b) => a.asOf.localeCompare(b.asOf)).at(-1);
  const waitForFeed = (events: EventEnvelope[], clinicId: string, test: (feed: DisplaySnapshot) => boolean) =>
    waitFor(() => feedsOf(events, clinicId).find(test));
  /** What the database says now (through REST), without the read's own time. */
  const truth = async (watched: Clinic) => {
    const { asOf: _asOf, ...feed } = displaySnapshotSchema.parse((await call(nodeA, watched.reception, "GET", `/clinics/${watched.id}/display`)).body);
    return feed;
  };
  const withoutTime = ({ asOf: _asOf, ...feed }: DisplaySnapshot) => feed;

  /** One change at the clock clinic and its feed, twice: by then any node that meant to build another feed has. */
  async function tick(): Promise<void> {
    for (let i = 0; i < 2; i++) {
      const entry = await emergency(clock.id, clock.reception);
      await waitForFeed(clock.watcher.events, clock.id, (feed) => feed.next.some((ticket) => ticket.ticket === entry.ticket));
    }
  }

  const displayEnvelopes = (clinicId: string) => published.filter((e) => e.topic === `display:${clinicId}`);

  it("builds no feed and publishes nothing on the display topic of a clinic no screen watches", async () => {
    const watched = await clinicWithStaff();
    const first = await emergency(watched.id, watched.reception);
    await emergency(watched.id, watched.reception);
    const called = (await callNext(nodeA, watched.doctor, watched.doctor.doctorId, { room: "Room 2" })).body.entry as QueueEntryView;
    expect(called.id).toBe(first.id);
    await startAndFinish(nodeA, watched.doctor, called);
    await tick();

    // The staff events went out (both nodes heard them)…
    expect(published.filter((e) => e.topic === `clinic:${watched.id}` && e.type.startsWith("queue.")).length).toBeGreaterThanOrEqual(5);
    // …but no display event, not even the call's announcement, and the topic's counter never moved.
    expect(displayEnvelopes(watched.id)).toEqual([]);
    expect(await seqOf(nodeA, `display:${watched.id}`)).toBe(0);
  });

  it("gives a screen that subscribes a correct snapshot, then every change on every node: the call announced once, the feed within the debounce, equal to the database", async () => {
    const watched = await clinicWithStaff();
    const waiting = await emergency(watched.id, watched.reception);
    const lobby = await displayScreen(nodeB, watched);
    const ack = await lobby.subscribe(watched.id);
    expect(ack.ok).toBe(true);
    const snapshot = displaySnapshotSchema.parse((ack as { snapshot: unknown }).snapshot);
    expect(withoutTime(snapshot)).toEqual(await truth(watched));
    expect(snapshot.next.map((ticket) => ticket.ticket)).toEqual([waiting.ticket]);

    // A change made through node A reaches the screen on node B.
    const arrived = await emergency(watched.id, watched.reception);
    await waitForFeed(lobby.events, watched.id, (feed) => feed.next.some((ticket) => ticket.ticket === arrived.ticket));

    // A burst of changes inside one debounce window comes out as fewer feeds than changes.
    const feedsBefore = feedsOf(published, watched.id).length;
    const burst = await Promise.all(Array.from({ length: 5 }, () => emergency(watched.id, watched.reception)));
    await waitForFeed(lobby.events, watched.id, (feed) => burst.every((entry) => feed.next.some((ticket) => ticket.ticket === entry.ticket)));
    await tick();
    expect(feedsOf(published, watched.id).length - feedsBefore).toBeLessThanOrEqual(2);

    // A second screen, on node A: both nodes now build; the call is still announced once.
    const corridor = await displayScreen(nodeA, watched);
    expect((await corridor.subscribe(watched.id)).ok).toBe(true);
    const called = (await callNext(nodeA, watched.doctor, watched.doctor.doctorId, { room: "Room 2" })).body.entry as QueueEntryView;
    expect(called.id).toBe(waiting.id);
    for (const { events } of [lobby, corridor]) {
      await waitForFeed(events, watched.id, (feed) => feed.nowServing.some((ticket) => ticket.ticket === called.ticket && ticket.room === "Room 2"));
    }
    await tick();
    for (const { events } of [lobby, corridor]) {
      const announced = events.filter((e) => e.type === "display.called").map((e) => realtimeEventSchemas["display.called"].parse(e.data));
      expect(announced).toEqual([{ ticket: called.ticket, maskedName: expect.any(String), room: "Room 2", doctorName: called.doctorName, calledAt: called.calledAt }]);
    }
    expect(displayEnvelopes(watched.id).filter((e) => e.type === "display.called")).toHaveLength(1);

    // Both screens end where the database is.
    const now = await truth(watched);
    for (const { events } of [lobby, corridor]) expect(withoutTime(shownBy(events, watched.id)!)).toEqual(now);
  });

  it("stops building once the last screen has left", async () => {
    const watched = await clinicWithStaff();
    const lobby = await displayScreen(nodeB, watched);
    expect((await lobby.subscribe(watched.id)).ok).toBe(true);
    const arrived = await emergency(watched.id, watched.reception);
    await waitForFeed(lobby.events, watched.id, (feed) => feed.next.some((ticket) => ticket.ticket === arrived.ticket));
    await tick();

    lobby.socket.disconnect();
    await waitFor(() => !nodeB.runtime.realtime!.io.of("/").adapter.rooms.has(`display:${watched.id}`));
    const seen = displayEnvelopes(watched.id).length;
    await emergency(watched.id, watched.reception);
    await tick();
    expect(displayEnvelopes(watched.id).length).toBe(seen);
  });
});
