/**
 * Event fan-out: latency from publish (after commit) to delivery on one topic for 1, 100 and 2,000
 * subscribed socket.io-client sockets (websocket transport), through the real path — the Redis
 * publish script (seq + PUBLISH), the node's events subscriber, `io.local.to(topic).emit`. Baseline,
 * same run: a bare `ws` server sending the same envelope string to the same number of `ws` clients.
 * Client and server share this process (and the clock), on loopback.
 */
import type { AddressInfo } from "node:net";
import { io, type Socket } from "socket.io-client";
import { WebSocket, WebSocketServer } from "ws";
import { topics, type EventEnvelope } from "@clinic/shared";
import type { SlotChange } from "../server/src/modules/scheduling/slot.store";
import { buildClinic, buildPerson } from "../tests/support/factories";
import { startBenchApi, startBenchServices } from "./support";

const SIZES = (process.env.BENCH_FANOUT_SIZES ?? "1,100,2000").split(",").map(Number);
/** Messages per size: fewer for the big room, so the whole run stays around a minute. */
const messagesFor = (n: number) => (n >= 1000 ? 40 : n >= 100 ? 150 : 300);
const WARMUP = 10;

interface Figures {
  deliveries: number;
  p50: number;
  p99: number;
  /** Median over messages of the time until the last subscriber had it. */
  lastP50: number;
}

function figures(latencies: number[], lasts: number[]): Figures {
  const q = (values: number[], p: number) => {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
  };
  return { deliveries: latencies.length, p50: q(latencies, 0.5), p99: q(latencies, 0.99), lastP50: q(lasts, 0.5) };
}

/** Runs `count` + warm-up messages; `send` publishes one, `onDelivery` is called by clients via `arrive`. */
async function measure(subscribers: number, count: number, send: (index: number) => Promise<void> | void, hook: (arrive: () => void) => void) {
  const latencies: number[] = [];
  const lasts: number[] = [];
  let started = 0;
  let arrived = 0;
  let done: () => void = () => undefined;
  hook(() => {
    const latency = performance.now() - started;
    if (recording) latencies.push(latency);
    if (++arrived === subscribers) {
      if (recording) lasts.push(latency);
      done();
    }
  });
  let recording = false;
  for (let i = 0; i < WARMUP + count; i++) {
    recording = i >= WARMUP;
    arrived = 0;
    const all = new Promise<void>((resolve) => (done = resolve));
    started = performance.now();
    await send(i);
    await all;
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  return figures(latencies, lasts);
}

/** Opens `n` connections `batch` at a time. */
async function openAll<T>(n: number, batch: number, open: () => Promise<T>): Promise<T[]> {
  const opened: T[] = [];
  while (opened.length < n) opened.push(...(await Promise.all(Array.from({ length: Math.min(batch, n - opened.length) }, open))));
  return opened;
}

const services = await startBenchServices();
try {
  const { runtime, url } = await startBenchApi(services);
  const clinic = await buildClinic({ runtime }, { name: "Fan-out clinic" });
  const doctor = await buildPerson({ runtime }, "doctor", { clinicIds: [clinic.id] });
  const viewer = await buildPerson({ runtime }, "patient");
  const topic = topics.slots(doctor.doctorId!);
  const change: SlotChange = {
    slotId: "6f0c1c2e-2b7a-4f55-9a0e-4a1f2b3c4d5e",
    doctorId: doctor.doctorId!,
    clinicId: clinic.id,
    start: new Date(Date.now() + 86_400_000).toISOString(),
    end: new Date(Date.now() + 86_400_000 + 900_000).toISOString(),
    status: "held",
    kind: "regular",
    version: 2,
    holdExpiresAt: new Date(Date.now() + 600_000).toISOString(),
    cause: "held",
  };
  const envelope = JSON.stringify({ topic, epoch: "AAAAAAAA", seq: 1, type: "slot.held", data: change, at: new Date().toISOString() });

  const wss = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  await new Promise<void>((resolve) => wss.once("listening", () => resolve()));
  const wsUrl = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;

  const rows: string[] = [];
  for (const n of SIZES) {
    const count = messagesFor(n);
    // ---- socket.io through the platform
    const opened = Date.now();
    const sockets = await openAll(n, 50, async () => {
      const socket: Socket = io(url, { auth: { token: viewer.token }, transports: ["websocket"], reconnection: false, forceNew: true });
      await new Promise<void>((resolve, reject) => {
        socket.once("connect", () => resolve());
        socket.once("connect_error", reject);
      });
      const ack = (await socket.timeout(30_000).emitWithAck("subscribe", { topic })) as { ok: boolean };
      if (!ack.ok) throw new Error(`subscribe refused: ${JSON.stringify(ack)}`);
      return socket;
    });
    const openSeconds = (Date.now() - opened) / 1000;
    const platform = await measure(
      n,
      count,
      async () => void (await runtime.events.publish(topic, "slot.held", change)),
      (arrive) => sockets.forEach((socket) => socket.on("event", (_event: EventEnvelope) => arrive())),
    );
    for (const socket of sockets) socket.disconnect();

    // ---- bare ws
    const clients = await openAll(n, 200, async () => {
      const client = new WebSocket(wsUrl);
      await new Promise<void>((resolve, reject) => {
        client.once("open", () => resolve());
        client.once("error", reject);
      });
      return client;
    });
    const bare = await measure(
      n,
      count,
      () => {
        for (const client of wss.clients) client.send(envelope);
      },
      (arrive) => clients.forEach((client) => client.on("message", () => arrive())),
    );
    for (const client of clients) client.close();
    await new Promise((resolve) => setTimeout(resolve, 500));

    const line = (name: string, f: Figures, base: Figures) =>
      `${String(n).padStart(6)}  ${name.padEnd(32)}${f.p50.toFixed(2).padStart(9)}${f.p99.toFixed(2).padStart(9)}${f.lastP50.toFixed(2).padStart(11)}` +
      `   ${(f.p50 / base.p50).toFixed(2)}× p50, ${(f.p99 / base.p99).toFixed(2)}× p99`;
    rows.push(line("baseline: bare ws", bare, bare), line("socket.io via Redis (platform)", platform, bare));
    process.stdout.write(`${n} subscribers: ${count} messages each side, ${platform.deliveries} deliveries; opening ${n} sockets took ${openSeconds.toFixed(1)} s\n`);
  }
  process.stdout.write(
    [
      `\nFan-out on one topic: publish → delivery, ms (socket.io-client websocket vs ws)`,
      `  subs  case                                  p50 ms   p99 ms  last p50 ms   vs baseline`,
      ...rows,
      "",
    ].join("\n"),
  );
  await new Promise<void>((resolve) => wss.close(() => resolve()));
  await runtime.close();
} finally {
  await services.stop();
}
