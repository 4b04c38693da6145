/**
 * Rolling restarts behind the load balancer: Debian's nginx (`apt-get install -y nginx`), run in the
 * foreground on loopback with the compose file's own config (server/deploy/nginx.conf, addresses
 * and log paths substituted), in front of two api node processes. While reads and bookings flow
 * through nginx, each node in turn gets SIGTERM, exits, and is started again on its port, RESTARTS
 * times. Every request that did not get its answer (a network error, 502, 503, 504, any other 5xx) is
 * printed with its time relative to the nearest SIGTERM; the bench exits 1 when there is one.
 *
 * Then a frozen node: api2 is stopped (SIGSTOP) for FREEZE_SECONDS under the same load and let go.
 * Its kernel still accepts connections, so only nginx's read timeout notices; reads sent to it
 * must be answered by the other node, and how long they waited is reported. A write nginx had sent
 * to the frozen node gets 504 (nginx cannot know whether the node acted on it, so it does not send
 * it again): those are reported, not counted as failures.
 *
 * Load comes from one loopback source address per client (127.0.<n>.1): nginx pins clients by their
 * address's first three octets (`ip_hash`, for Socket.IO polling), so one address would send all the
 * load to one node.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs/promises";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { buildClinicWithDoctor, buildPatient, buildSlots, type TestPerson } from "../tests/support/factories";
import { dayFromNow } from "../tests/support/dates";
import { freePort, isPortOpen } from "../tests/support/ports";
import { spawnServer, type ServerProcess } from "../tests/support/process";
import { startBenchApi, startBenchServices } from "./support";

const RESTARTS = Number(process.env.BENCH_RESTARTS ?? 5);
const READERS = Number(process.env.BENCH_READERS ?? 6);
const BOOKERS = Number(process.env.BENCH_BOOKERS ?? 4);
/** After a node is back, how long before the next SIGTERM (nginx's fail_timeout must lapse first). */
const PAUSE_SECONDS = Number(process.env.BENCH_PAUSE_SECONDS ?? 12);
/** How long api2 stays stopped in the frozen-node phase (0: no such phase). */
const FREEZE_SECONDS = Number(process.env.BENCH_FREEZE_SECONDS ?? 15);
/** Each booker cycles through slots of its own: a cancelled hold frees its slot for the next round. */
const SLOTS_PER_BOOKER = 200;
const JWT_SECRET = "x".repeat(32);
const NGINX = process.env.NGINX_PATH ?? "/usr/sbin/nginx";

interface Outcome {
  /** When it was sent and when its answer (or error) came, ms from the start of the load. */
  sentAt: number;
  at: number;
  kind: "read" | "hold" | "cancel";
  status: number | string;
}

/** The compose file's nginx.conf with the two api nodes and the listener on loopback ports; fails if its shape changed. */
async function nginxConfig(dir: string, port: number, apiPorts: [number, number]): Promise<string> {
  let config = await fs.readFile(path.join("server", "deploy", "nginx.conf"), "utf8");
  const substitute = (pattern: RegExp, replacement: string) => {
    if (!pattern.test(config)) throw new Error(`server/deploy/nginx.conf has no ${pattern}: update bench/rolling-restart.ts`);
    config = config.replace(pattern, replacement);
  };
  substitute(/\bapi1:3000\b/, `127.0.0.1:${apiPorts[0]}`);
  substitute(/\bapi2:3000\b/, `127.0.0.1:${apiPorts[1]}`);
  substitute(/listen 80;/, `listen 127.0.0.1:${port};`);
  // Logs and temporary files in the bench's directory rather than the system's.
  substitute(
    /http \{/,
    `http {\n  access_log ${dir}/access.log;\n  client_body_temp_path ${dir}/body;\n  proxy_temp_path ${dir}/proxy;`,
  );
  const file = path.join(dir, "nginx.conf");
  await fs.writeFile(file, `pid ${dir}/nginx.pid;\nerror_log ${dir}/error.log warn;\ndaemon off;\n${config}`);
  return file;
}

async function waitUntil(probe: () => Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const statusOf = (url: string) =>
  fetch(url).then(
    (response) => response.status,
    () => 0,
  );

/** One HTTP exchange through `agent`; resolves with the status, or the error's code when there was no answer. */
function exchange(agent: http.Agent, url: string, method: string, headers: Record<string, string>, body?: unknown): Promise<{ status: number | string; json: unknown }> {
  return new Promise((resolve) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const request = http.request(
      url,
      { method, agent, headers: { ...headers, ...(payload ? { "content-type": "application/json" } : {}) } },
      (response) => {
        let text = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => (text += chunk));
        response.on("end", () => resolve({ status: response.statusCode ?? 0, json: text.startsWith("{") ? JSON.parse(text) : null }));
        response.on("error", (error: NodeJS.ErrnoException) => resolve({ status: error.code ?? error.message, json: null }));
      },
    );
    request.setTimeout(30_000, () => request.destroy(Object.assign(new Error("client timeout"), { code: "CLIENT_TIMEOUT" })));
    request.on("error", (error: NodeJS.ErrnoException) => resolve({ status: error.code ?? error.message, json: null }));
    request.end(payload);
  });
}

const services = await startBenchServices();
const dir = await fs.mkdtemp(path.join(os.tmpdir(), "clinic-live-rolling-"));
// nginx creates its temporary directories here for its workers, which do not run as root.
await fs.chmod(dir, 0o755);
const children: ChildProcess[] = [];
try {
  execFileSync(NGINX, ["-v"], { stdio: "ignore" });

  // ---- data: a doctor's slots over many days, and a patient per booking client
  const { runtime } = await startBenchApi(services, { JWT_SECRET });
  const { clinicId, doctor } = await buildClinicWithDoctor({ runtime });
  const slotIds: string[] = [];
  for (let day = 2; slotIds.length < BOOKERS * SLOTS_PER_BOOKER; day++) {
    const slots = await buildSlots({ runtime }, { doctorId: doctor.doctorId, clinicId, date: dayFromNow(day), from: "08:00", count: 40 });
    slotIds.push(...slots.map((slot) => slot.id));
  }
  const patients: TestPerson[] = [];
  for (let i = 0; i < BOOKERS; i++) patients.push(await buildPatient({ runtime }));
  await runtime.close();

  // ---- two api nodes and nginx in front of them
  const apiPorts: [number, number] = [await freePort(), await freePort()];
  const startNode = (port: number): ServerProcess => {
    const node = spawnServer({
      ...process.env,
      NODE_ENV: "production",
      ROLE: "api",
      HOST: "127.0.0.1",
      PORT: String(port),
      DATABASE_URL: services.databaseUrl,
      REDIS_URL: services.redisUrl,
      PUBLIC_URL: "http://127.0.0.1",
      JWT_SECRET,
      TRUST_PROXY: "1",
      MIGRATE_ON_START: "false",
      DEMO_SEED: "false",
      LOG_LEVEL: "warn",
      RATE_LIMIT_MAX: "100000000",
    });
    children.push(node.child);
    return node;
  };
  const nodes = apiPorts.map(startNode);
  await Promise.all(nodes.map((node) => node.url));

  const lbPort = await freePort();
  const nginx = spawn(NGINX, ["-p", dir, "-c", await nginxConfig(dir, lbPort, apiPorts), "-e", path.join(dir, "error.log")], {
    stdio: ["ignore", "inherit", "inherit"],
  });
  children.push(nginx);
  await waitUntil(() => isPortOpen(lbPort), "nginx");
  const base = `http://127.0.0.1:${lbPort}/api/v1`;
  await waitUntil(async () => (await statusOf(`${base}/ready`)) === 200, "the api behind nginx");

  // ---- load through nginx: readers and bookers (hold a fresh slot, cancel it), each from its own address
  const outcomes: Outcome[] = [];
  const started = performance.now();
  const now = () => performance.now() - started;
  let running = true;
  const from = new Date(Date.now() + 86_400_000).toISOString();
  const reads = [`/slots?doctorId=${doctor.doctorId}&from=${from}`, "/clinics", `/clinics/${clinicId}`];
  const agentFor = (client: number) => new http.Agent({ keepAlive: true, localAddress: `127.0.${client + 1}.1` });
  const readers = Array.from({ length: READERS }, async (_, i) => {
    const agent = agentFor(i);
    for (let n = 0; running; n++) {
      const sentAt = now();
      const { status } = await exchange(agent, `${base}${reads[n % reads.length]}`, "GET", {});
      outcomes.push({ sentAt, at: now(), kind: "read", status });
    }
    agent.destroy();
  });
  const bookers = Array.from({ length: BOOKERS }, async (_, i) => {
    const agent = agentFor(READERS + i);
    const patient = patients[i]!;
    const mine = slotIds.slice(i * SLOTS_PER_BOOKER, (i + 1) * SLOTS_PER_BOOKER);
    for (let n = 0; running; n++) {
      const holdSentAt = now();
      const held = await exchange(agent, `${base}/appointments`, "POST", patient.headers, { slotId: mine[n % mine.length] });
      outcomes.push({ sentAt: holdSentAt, at: now(), kind: "hold", status: held.status });
      const id = (held.json as { id?: string } | null)?.id;
      if (held.status !== 201 || !id) continue;
      const cancelSentAt = now();
      const cancelled = await exchange(agent, `${base}/appointments/${id}/cancel`, "POST", patient.headers, { reason: "bench" });
      outcomes.push({ sentAt: cancelSentAt, at: now(), kind: "cancel", status: cancelled.status });
    }
    agent.destroy();
  });

  // ---- the restarts
  const signals: number[] = [];
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  for (let r = 0; r < RESTARTS; r++) {
    const index = r % 2;
    const node = nodes[index]!;
    signals.push(now());
    const sent = performance.now();
    node.child.kill("SIGTERM");
    const exit = await node.exited;
    const stoppedMs = performance.now() - sent;
    const fresh = startNode(apiPorts[index]!);
    nodes[index] = fresh;
    await fresh.url;
    const backMs = performance.now() - sent;
    process.stdout.write(
      `restart ${r + 1}: api${index + 1} exited ${exit.code ?? exit.signal} after ${(stoppedMs / 1000).toFixed(1)} s, serving again after ${(backMs / 1000).toFixed(1)} s\n`,
    );
    await new Promise((resolve) => setTimeout(resolve, PAUSE_SECONDS * 1000));
  }

  // ---- a frozen node: api2 stopped, then let go
  let freeze: { from: number; to: number } | undefined;
  if (FREEZE_SECONDS > 0) {
    const frozen = nodes[1]!.child;
    const from = now();
    frozen.kill("SIGSTOP");
    await new Promise((resolve) => setTimeout(resolve, FREEZE_SECONDS * 1000));
    frozen.kill("SIGCONT");
    freeze = { from, to: now() };
    process.stdout.write(`freeze: api2 stopped (SIGSTOP) for ${FREEZE_SECONDS} s, then continued\n`);
    await new Promise((resolve) => setTimeout(resolve, PAUSE_SECONDS * 1000));
  }
  running = false;
  await Promise.all([...readers, ...bookers]);

  // ---- report
  const isFailure = (outcome: Outcome) => typeof outcome.status !== "number" || outcome.status >= 500;
  // A request in flight when the node was stopped belongs to the freeze.
  const restartPhase = outcomes.filter((outcome) => freeze === undefined || outcome.at < freeze.from);
  const failed = restartPhase.filter(isFailure);
  const byKind = (kind: Outcome["kind"], list = restartPhase) => list.filter((outcome) => outcome.kind === kind);
  const tally = (list: Outcome[]) => {
    const counts = new Map<string, number>();
    for (const outcome of list) counts.set(String(outcome.status), (counts.get(String(outcome.status)) ?? 0) + 1);
    return [...counts].sort().map(([status, n]) => `${status}×${n}`).join(" ");
  };
  const seconds = now() / 1000;
  const lines = [
    `\nRolling restarts through nginx (${RESTARTS} SIGTERMs, ${READERS} readers, ${BOOKERS} bookers, ${seconds.toFixed(0)} s)`,
    `reads:   ${byKind("read").length.toString().padStart(6)}  ${tally(byKind("read"))}`,
    `holds:   ${byKind("hold").length.toString().padStart(6)}  ${tally(byKind("hold"))}`,
    `cancels: ${byKind("cancel").length.toString().padStart(6)}  ${tally(byKind("cancel"))}`,
    `failed:  ${failed.length} of ${restartPhase.length} requests`,
  ];
  for (const outcome of failed.slice(0, 50)) {
    const nearest = signals.reduce((best, at) => (Math.abs(outcome.at - at) < Math.abs(outcome.at - best) ? at : best), signals[0] ?? 0);
    lines.push(`  ${outcome.kind.padEnd(6)} ${String(outcome.status).padEnd(12)} ${((outcome.at - nearest) / 1000).toFixed(2).padStart(7)} s from a SIGTERM`);
  }
  let failedFrozenReads = 0;
  if (freeze) {
    const { from, to } = freeze;
    const frozenPhase = outcomes.filter((outcome) => outcome.at >= from && outcome.sentAt <= to);
    const frozenReads = byKind("read", frozenPhase);
    failedFrozenReads = frozenReads.filter(isFailure).length;
    /** Requests that waited on the frozen node until nginx's 5 s read timeout. */
    const waited = (list: Outcome[]) => list.filter((outcome) => outcome.at - outcome.sentAt > 4_000);
    const slowest = Math.max(0, ...frozenReads.map((outcome) => outcome.at - outcome.sentAt));
    const writes = [...byKind("hold", frozenPhase), ...byKind("cancel", frozenPhase)];
    lines.push(
      `\nFrozen node (api2 stopped for ${FREEZE_SECONDS} s)`,
      `reads:   ${frozenReads.length.toString().padStart(6)}  ${tally(frozenReads)}; ${waited(frozenReads).length} waited for the frozen node, the slowest ${(slowest / 1000).toFixed(1)} s`,
      `holds:   ${byKind("hold", frozenPhase).length.toString().padStart(6)}  ${tally(byKind("hold", frozenPhase))}`,
      `cancels: ${byKind("cancel", frozenPhase).length.toString().padStart(6)}  ${tally(byKind("cancel", frozenPhase))}`,
      `writes that got 504 (sent to the frozen node; not resent): ${writes.filter(isFailure).length}`,
      `requests that waited for the frozen node: ${waited(frozenPhase).length}, sent at ${waited(frozenPhase)
        .map((outcome) => ((outcome.sentAt - from) / 1000).toFixed(1))
        .join(", ")} s into the freeze`,
    );
  }
  process.stdout.write(`${lines.join("\n")}\n`);
  process.exitCode = failed.length === 0 && failedFrozenReads === 0 ? 0 : 1;
} finally {
  for (const child of children.reverse()) {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      // A node the bench stopped handles SIGTERM only once continued.
      child.kill("SIGCONT");
      child.kill("SIGTERM");
      await exited;
    }
  }
  await services.stop();
  await fs.rm(dir, { recursive: true, force: true });
}
