/**
 * An api node and its sockets through node faults: readiness waits for the events channel (a node
 * that does not hear it would leave its clients without events), and a graceful shutdown lets stock
 * Socket.IO clients reconnect to another node by themselves.
 */
import { io, type Socket } from "socket.io-client";
import { afterAll, afterEach, describe, expect, inject, it } from "vitest";
import { readinessSchema, type EventEnvelope, type Readiness } from "@clinic/shared";
import { buildPerson } from "../support/factories";
import { createTestEnvironment, publishUnchecked, readJson, startTestApp, subscribe, waitFor, type TestApp } from "../support/harness";
import { loadBalancer, redisLink } from "./support";

const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

/** A stock Socket.IO client: default options (reconnection on, polling then websocket), only the token added. */
function stockClient(url: string, token: string) {
  const socket = io(url, { auth: { token }, forceNew: true });
  const seen = { disconnects: [] as string[], connects: 0, events: [] as EventEnvelope[] };
  socket.on("connect", () => void (seen.connects += 1));
  socket.on("disconnect", (reason) => void seen.disconnects.push(reason));
  socket.on("event", (envelope: EventEnvelope) => void seen.events.push(envelope));
  return { socket, seen };
}

async function readiness(app: TestApp): Promise<{ status: number; body: Readiness }> {
  const response = await fetch(`${app.url}/api/v1/ready`);
  return { status: response.status, body: await readJson(response, readinessSchema) };
}

describe("readiness follows the events channel", () => {
  const sockets: Socket[] = [];
  afterEach(() => {
    for (const socket of sockets.splice(0)) socket.disconnect();
  });

  it("is not ready until the node hears the events channel, and not while it has lost it", async () => {
    const link = await redisLink(inject("redisUrl"));
    cleanups.push(() => link.close());
    // The node's events connection cannot get through yet; every other connection can.
    link.hold("socket-events");
    const environment = { ...(await createTestEnvironment()), redisUrl: link.url };
    const app = await startTestApp(environment, { awaitEventsChannel: false });
    cleanups.push(() => app.close());

    const starting = await readiness(app);
    expect(starting.status).toBe(503);
    expect(starting.body.checks).toMatchObject({
      postgres: { status: "up" },
      redis: { status: "up" },
      queue: { status: "up" },
      realtime: { status: "down", error: expect.stringContaining("events channel") },
    });

    // A client that connects meanwhile may not subscribe yet: an ack now could be followed by events it never hears.
    const patient = await buildPerson(app, "patient");
    const client = stockClient(app.url, patient.token);
    sockets.push(client.socket);
    await waitFor(() => client.socket.connected);
    expect(await subscribe(client.socket, "me")).toMatchObject({ ok: false, code: "UNAVAILABLE" });

    link.hold(null);
    await waitFor(async () => (await readiness(app)).status === 200);
    expect((await readiness(app)).body.checks.realtime).toMatchObject({ status: "up" });

    // Now it may, and follows its own room.
    const room = `me:${patient.user.id}`;
    expect(await subscribe(client.socket, "me")).toMatchObject({ ok: true, topic: room });

    // The events connection breaks and cannot come back for now: not ready, the rest still up.
    link.hold("socket-events");
    link.cut("socket-events");
    await waitFor(async () => (await readiness(app)).status === 503);
    expect((await readiness(app)).body.checks).toMatchObject({ redis: { status: "up" }, realtime: { status: "down" } });
    // Published meanwhile: this node cannot hear it, and no later gap needs to reveal it.
    await publishUnchecked(app.runtime, room, "notification.read", { missed: true });

    link.hold(null);
    await waitFor(async () => (await readiness(app)).status === 200);
    // Back on the channel, the node makes its clients reconnect (a transport close), so they resync.
    await waitFor(() => client.seen.connects === 2);
    expect(client.seen.disconnects).toEqual(["transport close"]);
    expect(client.seen.events).toEqual([]);
    const again = await subscribe(client.socket, "me");
    expect(again).toMatchObject({ ok: true, topic: room, seq: 1 });
    await publishUnchecked(app.runtime, room, "notification.read", { heard: true });
    await waitFor(() => client.seen.events.length === 1);
    expect(client.seen.events[0]).toMatchObject({ topic: room, seq: 2, data: { heard: true } });
  });
});

describe("graceful shutdown and stock clients", () => {
  it("closes the transport, so a stock client reconnects to another node by itself and subscribes again", async () => {
    const environment = await createTestEnvironment();
    const [nodeA, nodeB] = await Promise.all([startTestApp(environment), startTestApp(environment)]);
    cleanups.push(() => nodeB.close(), () => nodeA.close());
    const balancer = await loadBalancer([nodeA.url, nodeB.url].map((url) => Number(new URL(url).port)));
    cleanups.push(() => balancer.close());

    const patient = await buildPerson(nodeA, "patient");
    const client = stockClient(balancer.url, patient.token);
    cleanups.push(async () => client.socket.disconnect());
    await waitFor(() => client.socket.connected);
    expect(nodeA.runtime.realtime!.io.of("/").sockets.size).toBe(1);
    expect(await subscribe(client.socket, "me")).toMatchObject({ ok: true });

    await nodeA.close();
    await waitFor(() => client.seen.connects === 2 && client.socket.connected, 15_000);
    expect(client.seen.disconnects).toEqual(["transport close"]);
    expect(nodeB.runtime.realtime!.io.of("/").sockets.size).toBe(1);

    const ack = await subscribe(client.socket, "me");
    expect(ack).toMatchObject({ ok: true, topic: `me:${patient.user.id}` });
    await publishUnchecked(nodeB.runtime, `me:${patient.user.id}`, "notification.read", { after: "failover" });
    await waitFor(() => client.seen.events.length === 1);
    expect(client.seen.events[0]).toMatchObject({ data: { after: "failover" } });
  });
});
