/**
 * Event fan-out, with the subscribers in other processes than the server.
 *
 * This process is the server: an api-role runtime (startBenchApi) on embedded PostgreSQL and Redis.
 * The subscribers are socket.io-client sockets in CLIENT_PROCESSES forked processes
 * (bench/fanout-clients.ts), each signed in with a session of its own and subscribed to one
 * `slots:{doctorId}` topic as the web's screens are. The baseline, same run, same layout: a bare
 * `ws` server in a process of its own (bench/fanout-ws-server.ts) and bare `ws` clients in the
 * same client processes.
 *
 * Latency: publish (`events.publish`, the point after commit where services publish: the Redis
 * script, the node's events subscriber, `io.local.to(topic).emit`) → each socket's receipt, both
 * stamped on the machine's monotonic clock, one message at a time, for 1, 100 and 2,000 subscribers.
 * Memory: the server process's RSS and JS heap after full collections with 0 and with 10,000
 * subscribed sockets, per 1,000 sockets.
 */
import type { ChildProcess } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { Session } from "node:inspector/promises";
import path from "node:path";
import { writeHeapSnapshot } from "node:v8";
import { topics } from "@clinic/shared";
import type { SlotChange } from "../server/src/modules/scheduling/slot.store";
import { signAccessToken } from "../server/src/modules/identity/tokens";
import { buildClinic, buildPerson } from "../tests/support/factories";
import { clockMs, forkBenchProcess, memoryAfterGc, nextReport, type ClientOrder, type ClientReport, type MemoryFigures, type WsServerReport } from "./fanout-peer";
import { startBenchApi, startBenchServices } from "./support";

const SIZES = (process.env.BENCH_FANOUT_SIZES ?? "1,100,2000").split(",").map(Number).filter((n) => n > 0);
/** Sockets connected for the memory figures (0 to skip them). */
const MEMORY_SOCKETS = Number(process.env.BENCH_FANOUT_MEMORY_SOCKETS ?? 10_000);
/** Each process holds its share of the sockets, so neither passes the open-files limit. */
const CLIENT_PROCESSES = Number(process.env.BENCH_FANOUT_CLIENT_PROCESSES ?? 2);
/** Messages per size: fewer for the big room, so the whole run stays within a few minutes. */
const messagesFor = (n: number) => (n >= 1000 ? 40 : n >= 100 ? 150 : 300);
const WARMUP = 10;
const MiB = 1024 * 1024;

interface Figures {
  deliveries: number;
  p50: number;
  p99: number;
  /** Median over messages of the time until the last subscriber had it. */
  lastP50: number;
}

function quantile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

const clients: ChildProcess[] = Array.from({ length: CLIENT_PROCESSES }, () => forkBenchProcess("./fanout-clients.ts"));
const wsServer = forkBenchProcess("./fanout-ws-server.ts");
const order = (child: ChildProcess, message: ClientOrder) => child.send(message);

/** Splits `count` over the client processes; each opens its share and all have reported. */
async function openSockets(count: number, open: (child: ChildProcess, share: number, from: number) => ClientOrder): Promise<number[]> {
  const shares = clients.map((_, i) => Math.floor(count / clients.length) + (i < count % clients.length ? 1 : 0));
  let from = 0;
  const opened = clients.map((child, i) => {
    const reported = nextReport<ClientReport, "opened">(child, "opened");
    order(child, open(child, shares[i]!, from));
    from += shares[i]!;
    return reported;
  });
  await Promise.all(opened);
  return shares;
}

async function closeSockets(settled: () => Promise<boolean> | boolean): Promise<void> {
  await Promise.all(
    clients.map((child) => {
      const closed = nextReport<ClientReport, "closed">(child, "closed");
      order(child, { kind: "close" });
      return closed;
    }),
  );
  while (!(await settled())) await new Promise((resolve) => setTimeout(resolve, 50));
}

/** Sends WARMUP + count messages one at a time; `send` publishes message `index` and resolves with its send stamp. */
async function measure(shares: number[], count: number, send: (index: number) => Promise<number>): Promise<Figures> {
  const latencies: number[] = [];
  const lasts: number[] = [];
  for (let index = 0; index < WARMUP + count; index++) {
    const arrivals = clients.flatMap((child, i) =>
      shares[i]! > 0 ? [nextReport<ClientReport, "arrived">(child, "arrived", (report) => report.index === index)] : [],
    );
    const sentAt = await send(index);
    const stamps = (await Promise.all(arrivals)).flatMap((report) => report.stamps);
    if (index >= WARMUP) {
      for (const stamp of stamps) latencies.push(stamp - sentAt);
      lasts.push(Math.max(...stamps) - sentAt);
    }
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  return { deliveries: latencies.length, p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99), lastP50: quantile(lasts, 0.5) };
}

async function wsServerMemory(): Promise<MemoryFigures> {
  const reported = nextReport<WsServerReport, "memory">(wsServer, "memory");
  wsServer.send({ kind: "memory" });
  return (await reported).memory;
}

async function wsServerClients(): Promise<number> {
  const reported = nextReport<WsServerReport, "clients">(wsServer, "clients");
  wsServer.send({ kind: "clients" });
  return (await reported).count;
}

/** BENCH_FANOUT_CPU_PROFILE=<dir>: the server's CPU profile while `run` runs, as <dir>/<name>.cpuprofile. */
async function profiled<T>(name: string, run: () => Promise<T>): Promise<T> {
  const dir = process.env.BENCH_FANOUT_CPU_PROFILE;
  if (!dir) return run();
  const session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.start");
  try {
    return await run();
  } finally {
    const { profile } = await session.post("Profiler.stop");
    await writeFile(path.join(dir, `${name}.cpuprofile`), JSON.stringify(profile));
    session.disconnect();
  }
}

const services = await startBenchServices();
try {
  const wsUrl = (await nextReport<WsServerReport, "listening">(wsServer, "listening")).url;
  const { runtime, url } = await startBenchApi(services);
  const io = runtime.realtime!.io;
  const clinic = await buildClinic({ runtime }, { name: "Fan-out clinic" });
  const doctor = await buildPerson({ runtime }, "doctor", { clinicIds: [clinic.id] });
  const viewer = await buildPerson({ runtime }, "patient");
  const topic = topics.slots(doctor.doctorId!);
  // One sign-in session per socket, as many screens would have: each joins its session's room.
  const sessionIds = (
    await runtime.orm.em
      .getConnection()
      .execute<{ id: string }[]>(
        `insert into auth_session (id, user_id, expires_at) select gen_random_uuid(), ?, now() + interval '1 day' from generate_series(1, ?) returning id`,
        [viewer.user.id, Math.max(MEMORY_SOCKETS, ...SIZES)],
      )
  ).map((row) => row.id);
  // Access tokens live 15 minutes: each batch of sockets gets fresh ones.
  const tokens = (count: number) => sessionIds.slice(0, count).map((sid) => signAccessToken(runtime.config.auth.jwtSecret, { sub: viewer.user.id, sid, role: "patient" }));
  const openPlatform = (count: number) => {
    const all = tokens(count);
    return openSockets(count, (_, share, from) => ({ kind: "open-socketio", url, tokens: all.slice(from, from + share), topic }));
  };
  const openBare = (count: number) => openSockets(count, (_, share) => ({ kind: "open-ws", url: wsUrl, count: share }));
  const platformClosed = () => io.engine.clientsCount === 0;
  const bareClosed = async () => (await wsServerClients()) === 0;

  const memoryRows: string[] = [];
  if (MEMORY_SOCKETS > 0) {
    const perThousand = (before: MemoryFigures, after: MemoryFigures, key: keyof MemoryFigures) => (((after[key] - before[key]) / MiB) * 1000) / MEMORY_SOCKETS;
    const memoryLine = (name: string, before: MemoryFigures, after: MemoryFigures, seconds: number) =>
      `  ${name.padEnd(32)}${(before.rss / MiB).toFixed(1).padStart(9)}${(after.rss / MiB).toFixed(1).padStart(9)}${perThousand(before, after, "rss").toFixed(2).padStart(10)}` +
      `${(before.heapUsed / MiB).toFixed(1).padStart(9)}${(after.heapUsed / MiB).toFixed(1).padStart(9)}${perThousand(before, after, "heapUsed").toFixed(2).padStart(10)}` +
      `${perThousand(before, after, "external").toFixed(2).padStart(10)}${seconds.toFixed(1).padStart(8)}`;
    // BENCH_FANOUT_HEAP_SNAPSHOT=<dir>: the server's heap at 0 and at MEMORY_SOCKETS, to compare what a socket holds.
    const snapshotDir = process.env.BENCH_FANOUT_HEAP_SNAPSHOT;
    const platformMemory = (label: string) => () => {
      if (snapshotDir) writeHeapSnapshot(path.join(snapshotDir, `server-${label}.heapsnapshot`));
      return Promise.resolve(memoryAfterGc());
    };
    for (const [name, open, memoryBefore, memoryAfter, closed] of [
      ["baseline: bare ws", openBare, wsServerMemory, wsServerMemory, bareClosed],
      ["socket.io via Redis (platform)", openPlatform, platformMemory("0"), platformMemory(String(MEMORY_SOCKETS)), platformClosed],
    ] as const) {
      const before = await memoryBefore();
      const started = clockMs();
      await open(MEMORY_SOCKETS);
      const seconds = (clockMs() - started) / 1000;
      const after = await memoryAfter();
      memoryRows.push(memoryLine(name, before, after, seconds));
      await closeSockets(closed);
      process.stdout.write(`memory: ${name}: ${MEMORY_SOCKETS} sockets opened in ${seconds.toFixed(1)} s\n`);
    }
  }

  const change = (version: number): SlotChange => ({
    slotId: "6f0c1c2e-2b7a-4f55-9a0e-4a1f2b3c4d5e",
    doctorId: doctor.doctorId!,
    clinicId: clinic.id,
    start: new Date(Date.now() + 86_400_000).toISOString(),
    end: new Date(Date.now() + 86_400_000 + 900_000).toISOString(),
    status: "held",
    kind: "regular",
    version,
    holdExpiresAt: new Date(Date.now() + 600_000).toISOString(),
    cause: "held",
  });
  const latencyRows: string[] = [];
  for (const n of SIZES) {
    const count = messagesFor(n);
    const platformShares = await openPlatform(n);
    const platform = await profiled(`platform-${n}`, () =>
      measure(platformShares, count, async (index) => {
        const at = clockMs();
        await runtime.events.publish(topic, "slot.held", change(index));
        return at;
      }),
    );
    await closeSockets(platformClosed);

    const bareShares = await openBare(n);
    const bare = await measure(bareShares, count, async (index) => {
      const sent = nextReport<WsServerReport, "sent">(wsServer, "sent", (report) => report.index === index);
      wsServer.send({ kind: "send", index });
      return (await sent).at;
    });
    await closeSockets(bareClosed);

    const line = (name: string, f: Figures, base: Figures) =>
      `${String(n).padStart(6)}  ${name.padEnd(32)}${f.p50.toFixed(2).padStart(9)}${f.p99.toFixed(2).padStart(9)}${f.lastP50.toFixed(2).padStart(11)}` +
      `   ${(f.p50 / base.p50).toFixed(2)}× p50, ${(f.p99 / base.p99).toFixed(2)}× p99`;
    latencyRows.push(line("baseline: bare ws", bare, bare), line("socket.io via Redis (platform)", platform, bare));
    process.stdout.write(`latency: ${n} subscribers: ${count} messages each side, ${platform.deliveries} deliveries\n`);
  }

  process.stdout.write(
    [
      `\nFan-out on one topic: publish → delivery, ms (clients in ${CLIENT_PROCESSES} processes of their own)`,
      `  subs  case                                  p50 ms   p99 ms  last p50 ms   vs baseline`,
      ...latencyRows,
      ...(memoryRows.length > 0
        ? [
            `\nServer memory after full GC, 0 → ${MEMORY_SOCKETS} subscribed sockets (MiB; "/1k" per 1,000 sockets)`,
            `  ${"case".padEnd(32)}` +
              [["RSS 0", 9], [`RSS ${MEMORY_SOCKETS / 1000}k`, 9], ["RSS /1k", 10], ["heap 0", 9], [`heap ${MEMORY_SOCKETS / 1000}k`, 9], ["heap /1k", 10], ["ext /1k", 10], ["open s", 8]]
                .map(([label, width]) => String(label).padStart(Number(width)))
                .join(""),
            ...memoryRows,
          ]
        : []),
      "",
    ].join("\n"),
  );
  await runtime.close();
} finally {
  for (const child of [...clients, wsServer]) child.disconnect();
  await services.stop();
}
