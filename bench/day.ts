/**
 * A clinic day (`npm run bench:day`, issue 18): a seeded region (bench/day-seed.ts), the api
 * (ROLE=api) and the worker (ROLE=worker) as child processes started as `npm run dev` starts the
 * server (tsx), the screens' sockets in a third process (bench/day-screens.ts), and in this process
 * the open-loop load (bench/day-load.ts) with a Stripe stand-in for the paid share. After a warm-up
 * it measures BENCH_DAY_SECONDS and prints bookings/s and queue actions/s against their targets,
 * p50/p99 and errors per route, p99 commit → screen (a hold's or confirmation's reply arriving here
 * → that slot's event arriving at the last screen watching the doctor's week), and the CPU (% of one
 * core, from /proc utime + stime over the window) and memory of each process. Exits 1 when a goal
 * is missed. Knobs: BENCH_DAY_SCALE (region and screens, 1 = 50 clinics / 500 doctors / 20,000
 * patients / 5,000 screens), BENCH_DAY_SCREENS, BENCH_DAY_BOOKINGS_PER_S, BENCH_DAY_QUEUE_PER_S,
 * BENCH_DAY_SECONDS, BENCH_DAY_WARMUP_SECONDS, BENCH_DAY_DAYS.
 */
import { fork, type ChildProcess } from "node:child_process";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { spawnServer, type ServerProcess } from "../tests/support/process";
import { startStripeStandin, WEBHOOK_SECRET } from "../tests/support/stripe-standin";
import { newOutcomes, now, startLoad, type Outcomes } from "./day-load";
import type { Screen, ScreensReady, ScreensReport } from "./day-screens";
import { seedRegion, SLOTS_PER_DAY, type Region } from "./day-seed";
import { cpuPercent, machineTicks, memoryOf, sampleTicks, servicePids } from "./proc";
import { startBenchServices } from "./support";

const SCALE = Number(process.env.BENCH_DAY_SCALE ?? 1);
const SECONDS = Number(process.env.BENCH_DAY_SECONDS ?? 60);
const WARMUP_SECONDS = Number(process.env.BENCH_DAY_WARMUP_SECONDS ?? 10);
const BOOKINGS_PER_S = Number(process.env.BENCH_DAY_BOOKINGS_PER_S ?? 100);
const QUEUE_PER_S = Number(process.env.BENCH_DAY_QUEUE_PER_S ?? 20);
const SCREENS = Number(process.env.BENCH_DAY_SCREENS ?? Math.round(5_000 * SCALE));
const DAYS = Number(process.env.BENCH_DAY_DAYS ?? 90);
/** Where the api and worker write a V8 CPU profile (`--cpu-prof`), when set. */
const PROFILE_DIR = process.env.BENCH_DAY_CPU_PROF;
const CLINICS = Math.max(1, Math.round(50 * SCALE));
const DOCTORS = Math.max(CLINICS, Math.round(500 * SCALE));
const PATIENTS = Math.max(100, Math.round(20_000 * SCALE));
const GOALS = { bookingsPerSecond: 100, queuePerSecond: 20, bookingP99Ms: 250, screenP99Ms: 150, errors: 0 };
const JWT_SECRET = "x".repeat(32);

// ---- figures

const quantile = (sorted: number[], q: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! : NaN);
const ms = (value: number) => (Number.isNaN(value) ? "–" : value.toFixed(1));
const verdict = (ok: boolean) => (ok ? "PASS" : "FAIL");

/** The screens: a reception board per clinic, a day view per doctor, two displays per clinic, the rest patients on doctors' weeks. */
function screensOf(region: Region): Screen[] {
  const staff: Screen[] = [
    ...region.clinics.map((clinic): Screen => ({ kind: "reception", topic: `clinic:${clinic.id}`, token: clinic.receptionToken })),
    ...region.doctors.map((doctor): Screen => ({ kind: "doctor", topic: `doctor:${doctor.id}`, token: doctor.token })),
    ...region.clinics.flatMap((clinic) => clinic.displayTokens.map((token): Screen => ({ kind: "display", topic: `display:${clinic.id}`, token }))),
  ].slice(0, SCREENS);
  const patients = Array.from({ length: Math.min(SCREENS - staff.length, region.patients.length) }, (_, i): Screen => ({
    kind: "patient",
    topic: `slots:${region.doctors[i % region.doctors.length]!.id}`,
    token: region.patients[i]!.token,
  }));
  return [...staff, ...patients];
}

/** Holds and confirmations answered within the window, against their slot's event at the screens watching the doctor. */
function commitToScreen(outcomes: Outcomes, screens: ScreensReport, from: number, to: number) {
  const latencies: number[] = [];
  let missing = 0;
  let partial = 0;
  for (const [key, commit] of outcomes.commits) {
    if (commit.at < from || commit.at > to) continue;
    const arrival = screens.slotEvents[key];
    const watchers = screens.watchersByTopic[`slots:${commit.doctorId}`] ?? 0;
    if (!watchers) continue;
    if (!arrival) {
      missing++;
      continue;
    }
    if (arrival[2] < watchers) partial++;
    latencies.push(arrival[1] - commit.at);
  }
  latencies.sort((a, b) => a - b);
  return { latencies, missing, partial };
}

// ---- the run

const started = performance.now();
const services = await startBenchServices();
const children: ChildProcess[] = [];
const stripe = await startStripeStandin();
try {
  const client = new pg.Client(services.databaseUrl);
  await client.connect();
  const region = await seedRegion(
    client,
    {
      clinics: CLINICS,
      doctors: DOCTORS,
      patients: PATIENTS,
      days: DAYS,
      todayPerDoctor: Math.min(SLOTS_PER_DAY, Math.ceil((1.5 * QUEUE_PER_S * (WARMUP_SECONDS + SECONDS)) / DOCTORS) + 1),
      paidEvery: 20,
    },
    JWT_SECRET,
  );
  await client.end();
  const { postmaster, redis: redisPid } = await servicePids(services);
  process.stdout.write(
    `seeded ${CLINICS} clinics, ${DOCTORS} doctors, ${PATIENTS} patients, ${region.slots} slots (${DAYS} days), ${region.arrivals.length} appointments today in ${((performance.now() - started) / 1000).toFixed(0)} s\n`,
  );

  const serverEnv = (role: "api" | "worker"): Record<string, string | undefined> => ({
    ...process.env,
    NODE_ENV: "production",
    ROLE: role,
    HOST: "127.0.0.1",
    PORT: "0",
    DATABASE_URL: services.databaseUrl,
    REDIS_URL: services.redisUrl,
    PUBLIC_URL: "http://127.0.0.1",
    JWT_SECRET,
    STRIPE_SECRET_KEY: "sk_test_bench_day",
    STRIPE_API_URL: stripe.url,
    STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
    MIGRATE_ON_START: "false",
    DEMO_SEED: "false",
    LOG_LEVEL: "warn",
    // The bench measures the routes, not the limiter's refusals (as every bench).
    RATE_LIMIT_MAX: "100000000",
    // A V8 CPU profile of each server process, written when it exits.
    ...(PROFILE_DIR ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${path.resolve(PROFILE_DIR)} --cpu-prof-name=${role}.cpuprofile` } : {}),
  });
  const start = (role: "api" | "worker"): ServerProcess => {
    const server = spawnServer(serverEnv(role));
    children.push(server.child);
    return server;
  };
  const api = start("api");
  const worker = start("worker");
  const base = await api.url;
  await worker.url;

  // ---- the screens, in their own process
  const screenList = screensOf(region);
  const screens = fork(path.join("bench", "day-screens.ts"), [], { execArgv: ["--import", "tsx"], stdio: ["ignore", "inherit", "inherit", "ipc"] });
  children.push(screens);
  const fromScreens = <T>(key: "ready" | "report" | "progress") =>
    new Promise<T>((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`the screens process exited (${code}) before "${key}"`));
      const onMessage = (message: Record<string, unknown>) => {
        if (message[key]) {
          screens.off("message", onMessage);
          screens.off("exit", onExit);
          resolve(message as T);
        }
      };
      screens.on("message", onMessage);
      screens.once("exit", onExit);
    });
  const screensReady = fromScreens<ScreensReady>("ready");
  screens.send({ url: base, screens: screenList });
  const ready = await screensReady;
  process.stdout.write(
    `screens: ${ready.subscribed} of ${screenList.length} subscribed in ${ready.seconds.toFixed(0)} s${Object.keys(ready.refused).length ? `, refused ${JSON.stringify(ready.refused)}` : ""}\n`,
  );

  // ---- load: warm-up, then the measured window
  const outcomes = newOutcomes();
  const load = startLoad(
    {
      base,
      region,
      stripe,
      webhookSecret: WEBHOOK_SECRET,
      bookingsPerSecond: BOOKINGS_PER_S,
      queuePerSecond: QUEUE_PER_S,
      cancelShare: 0.1,
      rescheduleShare: 0.1,
      maxInFlight: 2_000,
    },
    outcomes,
  );
  await new Promise((resolve) => setTimeout(resolve, WARMUP_SECONDS * 1000));
  const pids = { api: api.child.pid!, worker: worker.child.pid!, screens: screens.pid! };
  const sample = () => ({
    api: sampleTicks(pids.api),
    worker: sampleTicks(pids.worker),
    postgres: sampleTicks(postmaster, true),
    redis: sampleTicks(redisPid),
    screens: sampleTicks(pids.screens),
    load: process.cpuUsage(),
    machine: machineTicks(),
  });
  const before = sample();
  const windowStart = now();
  load.record(true);
  await new Promise((resolve) => setTimeout(resolve, SECONDS * 1000));
  load.record(false);
  const windowEnd = now();
  const after = sample();
  const seconds = (windowEnd - windowStart) / 1000;
  const memory = { api: memoryOf(pids.api), worker: memoryOf(pids.worker), redis: memoryOf(redisPid), screens: memoryOf(pids.screens) };
  await load.stop();
  // Events of the last replies may still be on their way: wait until the screens hear nothing new for 2 s (at most 60 s).
  for (let last = -1, waited = 0; waited < 60; waited += 2) {
    const progress = fromScreens<{ events: number }>("progress");
    screens.send({ progress: true });
    const { events } = await progress;
    if (events === last) break;
    last = events;
    await new Promise((resolve) => setTimeout(resolve, 2_000));
  }
  // Where events wait: the outbox's commit → delivered (all subscribers done) for events recorded in the window.
  const diagnostics = new pg.Client(services.databaseUrl);
  await diagnostics.connect();
  const outbox = (
    await diagnostics.query<{ events: number; undelivered: number; p50: number; p99: number }>(
      `select count(*)::int as events, count(*) filter (where delivered_at is null)::int as undelivered,
              percentile_cont(0.5) within group (order by extract(epoch from delivered_at - occurred_at) * 1000) as p50,
              percentile_cont(0.99) within group (order by extract(epoch from delivered_at - occurred_at) * 1000) as p99
         from domain_event where occurred_at between to_timestamp($1 / 1000.0) and to_timestamp($2 / 1000.0)`,
      [windowStart, windowEnd],
    )
  ).rows[0]!;
  await diagnostics.end();
  const screensReport = fromScreens<ScreensReport>("report");
  screens.send({ report: true });
  const screenFigures = await screensReport;

  // ---- report
  const within = (times: number[]) => times.filter((at) => at >= windowStart && at <= windowEnd).length / seconds;
  const bookingsPerSecond = within(outcomes.booked);
  const queuePerSecond = within(outcomes.queueActions);
  const lines = [
    `\nClinic day: ${CLINICS} clinics, ${DOCTORS} doctors, ${PATIENTS} patients, ${region.slots} slots; ${ready.subscribed} screens ` +
      `(${screenList.filter((s) => s.kind === "patient").length} patients' weeks, ${screenList.filter((s) => s.kind === "doctor").length} doctors' days, ` +
      `${screenList.filter((s) => s.kind === "reception").length} reception boards, ${screenList.filter((s) => s.kind === "display").length} displays)`,
    `${seconds.toFixed(0)} s measured after a ${WARMUP_SECONDS} s warm-up; targets ${BOOKINGS_PER_S} journeys/s, ${QUEUE_PER_S} queue actions/s (check-in and call-next alternating)`,
    "",
    "route".padEnd(36) + "count".padStart(8) + "p50 ms".padStart(9) + "p99 ms".padStart(9) + "errors".padStart(8) + "409 contested".padStart(15),
  ];
  let errors = 0;
  for (const [route, stats] of [...outcomes.routes].sort()) {
    const sorted = stats.latencies.sort((a, b) => a - b);
    errors += stats.errors;
    lines.push(
      route.padEnd(36) + String(sorted.length).padStart(8) + ms(quantile(sorted, 0.5)).padStart(9) + ms(quantile(sorted, 0.99)).padStart(9) + String(stats.errors).padStart(8) + String(stats.contested).padStart(15),
    );
  }
  for (const [kind, count] of [...outcomes.errorKinds].sort((a, b) => b[1] - a[1]).slice(0, 10)) lines.push(`  error ×${count}: ${kind}`);
  const screen = commitToScreen(outcomes, screenFigures, windowStart, windowEnd);
  const holdP99 = quantile(outcomes.routes.get("POST /appointments")?.latencies ?? [], 0.99);
  const screenP99 = quantile(screen.latencies, 0.99);
  const cpu = (key: "api" | "worker" | "postgres" | "redis" | "screens") => cpuPercent(before[key], after[key], seconds);
  const loadCpu = process.cpuUsage(before.load);
  const machineBusy = (100 * (after.machine.busy - before.machine.busy)) / (after.machine.total - before.machine.total);
  const ours = cpu("api") + cpu("worker") + cpu("postgres") + cpu("redis") + cpu("screens") + (100 * (loadCpu.user + loadCpu.system)) / 1e6 / seconds;
  const { journeys, queue } = outcomes;
  lines.push(
    "",
    `journeys: ${journeys.started} started in the window, ${journeys.dropped} dropped (over ${2_000} in flight), ${journeys.noFreeSlot} found no free slot; ` +
      `${journeys.paid} paid, ${journeys.cancelled} cancelled, ${journeys.rescheduled} rescheduled (warm-up included)`,
    `queue: ${queue.checkIns} check-ins, ${queue.calls} calls (each then started and finished); call ticks with no doctor ready: ${queue.nobodyReady}; check-in ticks with no arrival left: ${queue.noArrivalLeft}`,
    `commit → screen: ${screen.latencies.length} holds and confirmations matched, p50 ${ms(quantile(screen.latencies, 0.5))} ms, p99 ${ms(screenP99)} ms (last watching screen); ` +
      `${screen.missing} never arrived, ${screen.partial} reached only some watchers; screens saw ${screenFigures.events} events, ${screenFigures.gaps} seq gaps, ${screenFigures.disconnects} disconnects`,
    `outbox: ${outbox.events} domain events recorded in the window, commit → delivered to every subscriber p50 ${ms(outbox.p50)} ms, p99 ${ms(outbox.p99)} ms, ${outbox.undelivered} undelivered`,
    "",
    `machine: ${machineBusy.toFixed(0)}% of its ${os.cpus().length} cores busy in the window, this bench's processes ${ours.toFixed(0)}% of one core (the rest: other work on the machine)`,
    "process".padEnd(22) + "CPU % of one core".padStart(19) + "RSS MiB".padStart(10) + "peak MiB".padStart(10),
    ...(
      [
        ["api (ROLE=api)", cpu("api"), memory.api],
        ["worker (ROLE=worker)", cpu("worker"), memory.worker],
        ["postgresql (all)", cpu("postgres"), undefined],
        ["redis", cpu("redis"), memory.redis],
        ["screens (sockets)", cpu("screens"), memory.screens],
        ["load generator", (100 * (loadCpu.user + loadCpu.system)) / 1e6 / seconds, { rssMiB: process.memoryUsage().rss / 2 ** 20, peakMiB: NaN }],
      ] as const
    ).map(([name, percent, mem]) => name.padEnd(22) + percent.toFixed(0).padStart(19) + (mem ? ms(mem.rssMiB) : "–").padStart(10) + (mem ? ms(mem.peakMiB) : "–").padStart(10)),
    "",
    `bookings/s sustained    ${bookingsPerSecond.toFixed(1).padStart(8)}   goal ≥ ${GOALS.bookingsPerSecond}   ${verdict(bookingsPerSecond >= GOALS.bookingsPerSecond)}`,
    `queue actions/s         ${queuePerSecond.toFixed(1).padStart(8)}   goal ≥ ${GOALS.queuePerSecond}    ${verdict(queuePerSecond >= GOALS.queuePerSecond)}`,
    `p99 POST /appointments  ${ms(holdP99).padStart(8)}   goal < ${GOALS.bookingP99Ms} ms ${verdict(holdP99 < GOALS.bookingP99Ms)}`,
    `p99 commit → screen     ${ms(screenP99).padStart(8)}   goal < ${GOALS.screenP99Ms} ms ${verdict(screenP99 < GOALS.screenP99Ms && screen.missing === 0)}`,
    `errors                  ${String(errors).padStart(8)}   goal = 0      ${verdict(errors === 0)}`,
    `(whole run ${((performance.now() - started) / 1000).toFixed(0)} s)`,
    "",
  );
  process.stdout.write(lines.join("\n"));
  const met = bookingsPerSecond >= GOALS.bookingsPerSecond && queuePerSecond >= GOALS.queuePerSecond && holdP99 < GOALS.bookingP99Ms && screenP99 < GOALS.screenP99Ms && errors === 0;
  process.exitCode = met ? 0 : 1;
} finally {
  for (const child of children.reverse()) {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    }
  }
  await stripe.close();
  await services.stop();
}
