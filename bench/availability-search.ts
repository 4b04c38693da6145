/**
 * Availability search at scale: GET /api/v1/slots over 200 doctors × 90 days × 16 slots (~288k
 * slots, ~30% booked) for three typical queries, each against a baseline measured in the same run:
 * the bare SQL of the same query (the service's own `slotSearchSql`) through the same pg pool at
 * the same concurrency, once with its parameters inlined (as `em.execute` sends it: PostgreSQL plans
 * every call) and once as the named prepared statement the route runs (`slotSearchStatement`).
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import { addDays, localDateOf } from "@clinic/shared";
import { slotSearchSql, slotSearchStatement, type SlotSearchFilters } from "../server/src/modules/scheduling/availability-search.service";
import { runPrepared } from "../server/src/platform/prepared";
import { buildClinic, buildDoctors, buildSlotGrid, buildSpecialty } from "../tests/support/factories";
import { load, report, startBenchApi, startBenchServices, type LoadResult } from "./support";

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 2_000);
/** BENCH_EXPLAIN=1 prints each query's plan (EXPLAIN ANALYZE) before measuring it. */
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const DOCTORS = 200;
const DAYS = 90;
const PER_DAY = 16;
const DAY = 86_400_000;

/** The same bounded load loop as `load`, but each "request" is `query()`: the search's SQL on the app's pool. */
async function loadSql(query: () => Promise<unknown>, requests: number, concurrency: number): Promise<LoadResult> {
  const latencies: number[] = [];
  let issued = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (issued < requests) {
        issued++;
        const t = performance.now();
        await query();
        latencies.push(performance.now() - t);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!;
  return { requests, seconds, perSecond: requests / seconds, p50Ms: at(0.5), p99Ms: at(0.99) };
}

const services = await startBenchServices();
try {
  const { runtime, url } = await startBenchApi(services);
  const base = `${url}/api/v1/slots`;

  // ---- data: 4 clinics, 10 specialties, 200 doctors, 90 days × 16 slots each from tomorrow
  const seeded = performance.now();
  const clinics = await Promise.all(Array.from({ length: 4 }, (_, i) => buildClinic({ runtime }, { name: `Bench clinic ${i}` })));
  const specialties: string[] = [];
  for (let i = 0; i < 10; i++) specialties.push(await buildSpecialty({ runtime }, `Bench specialty ${i}`));
  const doctorIds = await buildDoctors(
    { runtime },
    Array.from({ length: DOCTORS }, (_, i) => ({ clinicIds: [clinics[i % 4]!.id], specialtyIds: [specialties[i % 10]!], languages: ["en"] })),
  );
  const firstDay = addDays(localDateOf(new Date(), "Europe/London"), 1);
  let slots = 0;
  for (const [index, clinic] of clinics.entries()) {
    slots += await buildSlotGrid({ runtime }, {
      doctorIds: doctorIds.filter((_, i) => i % 4 === index),
      clinicId: clinic.id,
      firstDay,
      days: DAYS,
      perDay: PER_DAY,
    });
  }
  const em = runtime.orm.em.fork() as EntityManager;
  await em.execute(`update slot set status = 'booked' where random() < 0.3`);
  // Statistics for every table, as autovacuum would have them on a live database.
  await em.execute(`vacuum analyze`);
  process.stdout.write(`seeded ${slots} slots for ${DOCTORS} doctors in ${((performance.now() - seeded) / 1000).toFixed(1)} s\n`);

  // ---- the three typical queries, as URL and as the service's SQL
  const now = new Date();
  const weekFrom = new Date(`${addDays(firstDay, 7)}T00:00:00Z`);
  const dayFrom = new Date(`${addDays(firstDay, 30)}T00:00:00Z`);
  const cases: [string, Record<string, string>, Omit<SlotSearchFilters, "statuses" | "limit">][] = [
    [
      "one doctor, one week",
      { doctorId: doctorIds[17]!, from: weekFrom.toISOString(), to: new Date(weekFrom.getTime() + 7 * DAY).toISOString() },
      { doctorId: doctorIds[17]!, from: weekFrom, to: new Date(weekFrom.getTime() + 7 * DAY) },
    ],
    [
      "one specialty, one day",
      { specialty: specialties[3]!, from: dayFrom.toISOString(), to: new Date(dayFrom.getTime() + DAY).toISOString() },
      { specialty: specialties[3]!, from: dayFrom, to: new Date(dayFrom.getTime() + DAY) },
    ],
    [
      "first page of everything (90 d)",
      { from: now.toISOString(), to: new Date(now.getTime() + DAYS * DAY).toISOString() },
      { from: now, to: new Date(now.getTime() + DAYS * DAY) },
    ],
  ];

  async function measure(name: string, query: Record<string, string>, filters: Omit<SlotSearchFilters, "statuses" | "limit">) {
    const url = `${base}?${new URLSearchParams({ ...query, limit: "50" })}`;
    const search = { ...filters, statuses: ["available" as const], limit: 50 };
    const { sql, params } = slotSearchSql(search, { internal: false, now }, null);
    const { statement, values } = slotSearchStatement(search, { internal: false, now }, null);
    const inline = () => (runtime.orm.em.fork() as EntityManager).execute(sql, params);
    const named = () => runPrepared(runtime.orm.em.fork() as EntityManager, statement, values);
    if (process.env.BENCH_EXPLAIN) {
      const plan = await em.execute<{ "QUERY PLAN": string }[]>(`explain (analyze, buffers) ${sql}`, params);
      process.stdout.write(`\n${name}\n${plan.map((row) => row["QUERY PLAN"]).join("\n")}\n`);
    }
    await load(url, 200, CONCURRENCY);
    await loadSql(inline, 200, CONCURRENCY);
    await loadSql(named, 200, CONCURRENCY);
    const baseline = await loadSql(inline, REQUESTS, CONCURRENCY);
    const preparedBaseline = await loadSql(named, REQUESTS, CONCURRENCY);
    const full = await load(url, REQUESTS, CONCURRENCY);
    report(`GET /slots — ${name} (${REQUESTS} requests, ${CONCURRENCY} concurrent)`, [
      ["baseline: bare SQL, same pool", baseline],
      ["bare SQL prepared (as the route)", preparedBaseline],
      ["GET /api/v1/slots (full stack)", full],
    ], baseline);
    process.stdout.write(`  full stack vs the prepared SQL: ${(full.perSecond / preparedBaseline.perSecond).toFixed(2)}× throughput\n`);
  }

  for (const [name, query, filters] of cases) await measure(name, query, filters);

  await runtime.close();
} finally {
  await services.stop();
}
