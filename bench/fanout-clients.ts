/**
 * The fan-out bench's subscribers, in a process of their own (forked by bench/fanout.ts): either
 * socket.io-client sockets connecting and subscribing as the web's screens do (websocket transport,
 * `auth: { token }`, `subscribe` with an ack), or bare `ws` clients. Each message's receive time is
 * stamped on the shared monotonic clock and reported once every socket of this process has it.
 */
import { io, type Socket } from "socket.io-client";
import { WebSocket } from "ws";
import { SOCKET_EVENTS, SUBSCRIBE_RETRY_MS, type EventEnvelope } from "@clinic/shared";
import { clockMs, type ClientOrder, type ClientReport } from "./fanout-peer";

/** Handshakes in flight at once per process. */
const OPEN_BATCH = 50;

const report = (message: ClientReport): void => void process.send!(message);

let closers: (() => void)[] = [];
const stamps = new Map<number, number[]>();

function received(index: number): void {
  const times = stamps.get(index) ?? [];
  times.push(clockMs());
  stamps.set(index, times);
  if (times.length === closers.length) {
    stamps.delete(index);
    report({ kind: "arrived", index, stamps: times });
  }
}

async function openAll(count: number, open: (index: number) => Promise<() => void>): Promise<void> {
  while (closers.length < count) {
    const from = closers.length;
    closers.push(...(await Promise.all(Array.from({ length: Math.min(OPEN_BATCH, count - from) }, (_, i) => open(from + i)))));
  }
}

async function openSocketIo(url: string, token: string, topic: string): Promise<() => void> {
  const socket: Socket = io(url, { auth: { token }, transports: ["websocket"], reconnection: false, forceNew: true });
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", () => resolve());
    socket.once("connect_error", reject);
  });
  // As a screen does (docs/realtime.md "Client algorithm", step 5): UNAVAILABLE is asked again after a second.
  for (;;) {
    const ack = (await socket.timeout(60_000).emitWithAck(SOCKET_EVENTS.subscribe, { topic })) as { ok: boolean; code?: string };
    if (ack.ok) break;
    if (ack.code !== "UNAVAILABLE") throw new Error(`subscribe refused: ${JSON.stringify(ack)}`);
    await new Promise((resolve) => setTimeout(resolve, SUBSCRIBE_RETRY_MS));
  }
  socket.on(SOCKET_EVENTS.event, (envelope: EventEnvelope) => received((envelope.data as { version: number }).version));
  return () => socket.disconnect();
}

async function openWs(url: string): Promise<() => void> {
  const client = new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    client.once("open", () => resolve());
    client.once("error", reject);
  });
  client.on("message", (raw) => received((JSON.parse(String(raw)) as { seq: number }).seq));
  return () => client.close();
}

async function obey(order: ClientOrder): Promise<void> {
  switch (order.kind) {
    case "open-socketio":
      await openAll(order.tokens.length, (index) => openSocketIo(order.url, order.tokens[index]!, order.topic));
      return report({ kind: "opened", count: closers.length });
    case "open-ws":
      await openAll(order.count, () => openWs(order.url));
      return report({ kind: "opened", count: closers.length });
    case "close":
      for (const close of closers) close();
      closers = [];
      stamps.clear();
      return report({ kind: "closed" });
  }
}

process.on("message", (order: ClientOrder) => {
  obey(order).catch((error: unknown) => report({ kind: "failed", message: String(error) }));
});
process.on("disconnect", () => process.exit(0));
