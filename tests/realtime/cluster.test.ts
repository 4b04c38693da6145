import type { Socket } from "socket.io-client";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { EventEnvelope, SubscribeAck } from "@clinic/shared";
import type { Runtime } from "../../server/src/platform/runtime";
import {
  connectSocket,
  connected,
  createTestEnvironment,
  publishUnchecked,
  startTestApp,
  waitFor,
  type TestApp,
  type TestEnvironment,
} from "../support/harness";

/**
 * Wires the gateway the way identity and the modules do: tokens name a user, and `room:{n}` is a
 * topic family only the users listed for it may read.
 */
function wireGateway(runtime: Runtime) {
  const members: Record<string, string[]> = { "1": ["alice"], "2": ["bob"] };
  runtime.realtime!.setAuthenticator(async (auth) =>
    typeof auth.token === "string" && auth.token.startsWith("user-") ? { kind: "user", id: auth.token.slice(5) } : null,
  );
  runtime.realtime!.registerTopic({
    name: "room",
    pattern: /^room:(\d+)$/,
    authorize: (principal, _topic, match) => members[match[1]!]?.includes(principal.id) ?? false,
    snapshot: async (_principal, topic) => ({ topic, occupants: members[topic.split(":")[1]!] }),
  });
}

const subscribe = (socket: Socket, topic: string) =>
  socket.timeout(5_000).emitWithAck("subscribe", { topic }) as Promise<SubscribeAck>;

describe("realtime gateway across nodes", () => {
  let environment: TestEnvironment;
  let nodeA: TestApp;
  let nodeB: TestApp;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    environment = await createTestEnvironment();
    [nodeA, nodeB] = await Promise.all([
      startTestApp(environment, { beforeStart: wireGateway }),
      startTestApp(environment, { beforeStart: wireGateway }),
    ]);
  });
  afterEach(() => {
    for (const socket of sockets.splice(0)) socket.disconnect();
  });
  afterAll(() => Promise.all([nodeA.close(), nodeB.close()]));

  function open(app: TestApp, token?: string) {
    const socket = connectSocket(app.url, token ? { token } : {});
    sockets.push(socket);
    return socket;
  }

  it("delivers an event published on node A to a client on node B, in order with consecutive seq", async () => {
    const client = open(nodeB, "user-alice");
    await connected(client);
    const received: EventEnvelope[] = [];
    client.on("event", (envelope: EventEnvelope) => received.push(envelope));

    const ack = await subscribe(client, "room:1");
    expect(ack).toEqual({ ok: true, topic: "room:1", epoch: expect.any(String), seq: 0, snapshot: { topic: "room:1", occupants: ["alice"] } });

    await publishUnchecked(nodeA.runtime, "room:1", "slot.held", { slotId: "s1" });
    await publishUnchecked(nodeB.runtime, "room:1", "slot.booked", { slotId: "s1" });
    await publishUnchecked(nodeA.runtime, "room:1", "slot.released", { slotId: "s1" });
    await waitFor(() => received.length === 3);

    expect(received.map((event) => [event.seq, event.type])).toEqual([
      [1, "slot.held"],
      [2, "slot.booked"],
      [3, "slot.released"],
    ]);
    expect(received[0]).toMatchObject({ topic: "room:1", data: { slotId: "s1" } });
    expect(Date.parse(received[0]!.at)).not.toBeNaN();
  });

  it("keeps seq order on every node even when both nodes publish at once", async () => {
    const [onA, onB] = [open(nodeA, "user-alice"), open(nodeB, "user-alice")];
    await Promise.all([connected(onA), connected(onB)]);
    const seen = { a: [] as number[], b: [] as number[] };
    onA.on("event", (envelope: EventEnvelope) => seen.a.push(envelope.seq));
    onB.on("event", (envelope: EventEnvelope) => seen.b.push(envelope.seq));
    const [ackA, ackB] = await Promise.all([subscribe(onA, "room:1"), subscribe(onB, "room:1")]);
    expect(ackA).toMatchObject({ ok: true });
    const from = (ackA as { seq: number }).seq;
    expect(ackB).toMatchObject({ ok: true, seq: from });

    await Promise.all(
      Array.from({ length: 40 }, (_, i) => publishUnchecked((i % 2 ? nodeA : nodeB).runtime, "room:1", "tick", { i })),
    );
    await waitFor(() => seen.a.length === 40 && seen.b.length === 40);
    const expected = Array.from({ length: 40 }, (_, i) => from + 1 + i);
    expect(seen.a).toEqual(expected);
    expect(seen.b).toEqual(expected);
  });

  it("gives a late subscriber the current seq so it can resync from the snapshot", async () => {
    const client = open(nodeA, "user-alice");
    await connected(client);
    const ack = await subscribe(client, "room:1");
    expect(ack).toMatchObject({ ok: true, seq: 43 });
  });

  it("does not deliver a topic's events to sockets that did not subscribe to it", async () => {
    const bob = open(nodeB, "user-bob");
    await connected(bob);
    expect(await subscribe(bob, "room:2")).toMatchObject({ ok: true });
    const seen: EventEnvelope[] = [];
    bob.on("event", (envelope: EventEnvelope) => seen.push(envelope));
    await publishUnchecked(nodeA.runtime, "room:1", "noise", {});
    await publishUnchecked(nodeA.runtime, "room:2", "signal", {});
    await waitFor(() => seen.length >= 1);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(seen.map((event) => event.type)).toEqual(["signal"]);
  });

  it("refuses unauthenticated sockets", async () => {
    await expect(connected(open(nodeA))).rejects.toThrow("UNAUTHENTICATED");
    await expect(connected(open(nodeA, "forged"))).rejects.toThrow("UNAUTHENTICATED");
  });

  it("refuses unauthorised, unknown and malformed subscriptions", async () => {
    const bob = open(nodeA, "user-bob");
    await connected(bob);
    expect(await subscribe(bob, "room:1")).toMatchObject({ ok: false, code: "FORBIDDEN" });
    expect(await subscribe(bob, "vault:1")).toMatchObject({ ok: false, code: "UNKNOWN_TOPIC" });
    const malformed = (await bob.timeout(5_000).emitWithAck("subscribe", { topic: 42 })) as SubscribeAck;
    expect(malformed).toMatchObject({ ok: false, code: "BAD_REQUEST" });
    const received: EventEnvelope[] = [];
    bob.on("event", (envelope: EventEnvelope) => received.push(envelope));
    await publishUnchecked(nodeB.runtime, "room:1", "private", {});
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(received).toEqual([]);
  });

  it("counts open sockets in the metrics", async () => {
    const client = open(nodeB, "user-alice");
    await connected(client);
    const text = await (await fetch(`${nodeB.url}/metrics`)).text();
    expect(text).toMatch(/^socket_connections [1-9]\d*$/m);
  });
});
