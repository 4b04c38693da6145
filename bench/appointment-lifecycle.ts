/**
 * Confirm, cancel and reschedule through HTTP, each against its own bare SQL through the same pool
 * in the same run (issue #18: each route ≥ 0.4× its SQL). CLIENTS clients (one patient each, acting
 * on their own appointments) work through OPS appointments per case:
 *
 * - `POST /appointments/:id/confirm` on free holds (pending, no payment due; slot held). Bare SQL, in
 *   one transaction: the appointment pending → scheduled and its slot held → booked.
 * - `POST /appointments/:id/cancel` on scheduled visits (as the patient, before the cutoff). Bare
 *   SQL: the appointment → cancelled and its slot → available.
 * - `POST /appointments/:id/reschedule` of a scheduled visit to a free slot. Bare SQL: the old
 *   appointment cancelled, its slot freed, the new slot taken, the new appointment inserted.
 *
 * The holds and visits are laid with set-based SQL before the timed part; every answer is checked.
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import { buildClinic, buildPerson, type TestPerson } from "../tests/support/factories";
import { cpuBound, cpuHeader, cpuLine, cpuMeter, servicePids } from "./proc";
import { jsonClient, latencyStats, startBenchApi, statementReport, startBenchServices, type LoadResult } from "./support";

const OPS = Number(process.env.BENCH_REQUESTS ?? 1_000);
const CLIENTS = Number(process.env.BENCH_CONCURRENCY ?? 32);
const WARMUP = 100;

/** An appointment of client `client` (its patient), with its slot and, for a move, the free slot to go to. */
interface Job {
  client: number;
  appointmentId: string;
  slotId: string;
  targetSlotId: string | null;
}

/** Each of the CLIENTS clients works through its own jobs; every `act` must succeed. */
async function run(jobs: Job[], act: (job: Job) => Promise<void>): Promise<LoadResult> {
  const latencies: number[] = [];
  const meter = cpuMeter(pids);
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CLIENTS }, async (_, client) => {
      for (const job of jobs.filter((j) => j.client === client)) {
        const t = performance.now();
        await act(job);
        latencies.push(performance.now() - t);
      }
    }),
  );
  return latencyStats(latencies, (performance.now() - started) / 1000, meter);
}

const services = await startBenchServices();
const pids = await servicePids(services);
try {
  const { runtime, url } = await startBenchApi(services);
  const em = () => runtime.orm.em.fork() as EntityManager;
  const clinic = await buildClinic({ runtime }, { name: "Bench clinic" });
  const doctor = await buildPerson({ runtime }, "doctor", { clinicIds: [clinic.id] });
  const patients: TestPerson[] = await Promise.all(Array.from({ length: CLIENTS }, () => buildPerson({ runtime }, "patient")));
  await em().execute(`update patient set subscription_tier = 'standard'`);

  // Slots from the day after tomorrow (past the 24-hour cancel cutoff), 15 minutes each.
  let nextSlot = 0;
  await em().execute(
    `insert into slot (id, doctor_id, clinic_id, starts_at, ends_at, status, kind, tags, version)
     select gen_random_uuid(), ?, ?, t, t + interval '15 minutes', 'available', 'regular', '{}', 1
       from generate_series(date_trunc('day', now()) + interval '2 days', date_trunc('day', now()) + interval '2 days' + (? - 1) * interval '15 minutes', interval '15 minutes') t`,
    [doctor.doctorId, clinic.id, 10 * (OPS + WARMUP)],
  );
  const slots = (await em().execute<{ id: string }[]>(`select id from slot where clinic_id = ? order by starts_at`, [clinic.id])).map((r) => r.id);
  const takeSlots = (n: number) => {
    const taken = slots.slice(nextSlot, nextSlot + n);
    nextSlot += n;
    if (taken.length !== n) throw new Error("out of slots");
    return taken;
  };

  /**
   * `n` appointments in `status` (pending: a free hold for an hour; scheduled: a visit), their
   * slots held or booked, spread over the clients' patients; with `moves`, each with a free slot.
   */
  async function lay(n: number, status: "pending" | "scheduled", moves = false): Promise<Job[]> {
    const ids = takeSlots(n);
    const targets = moves ? takeSlots(n) : [];
    const slotStatus = status === "pending" ? "held" : "booked";
    const holdUntil = status === "pending" ? "now() + interval '1 hour'" : "null";
    await em().execute(`update slot set status = ?, hold_expires_at = ${holdUntil}, version = version + 1 where id = any(?::uuid[])`, [slotStatus, `{${ids.join(",")}}`]);
    const rows = await em().execute<{ id: string; slot_id: string; n: string }[]>(
      `insert into appointment (id, slot_id, patient_id, doctor_id, clinic_id, starts_at, ends_at, status, hold_expires_at,
         payment_status, fee_minor, transaction_fee_minor, currency, amount_due_minor, version, created_at, updated_at)
       select gen_random_uuid(), s.id, (?::uuid[])[1 + (x.n - 1) % ?], s.doctor_id, s.clinic_id, s.starts_at, s.ends_at, ?, ${holdUntil},
              'not_required', 0, 0, 'EUR', 0, 1, now(), now()
         from unnest(?::uuid[]) with ordinality as x(id, n) join slot s on s.id = x.id
       returning id, slot_id`,
      [`{${patients.map((p) => p.patientId).join(",")}}`, CLIENTS, status, `{${ids.join(",")}}`],
    );
    const bySlot = new Map(rows.map((r) => [r.slot_id, r.id]));
    return ids.map((slotId, i) => ({ client: i % CLIENTS, appointmentId: bySlot.get(slotId)!, slotId, targetSlotId: moves ? targets[i]! : null }));
  }

  const client = jsonClient(CLIENTS);
  async function post(job: Job, action: string, body: unknown): Promise<void> {
    const response = await client.post(`${url}/api/v1/appointments/${job.appointmentId}/${action}`, patients[job.client]!.headers, body);
    if (response.status !== 200) throw new Error(`${action} → ${response.status} ${response.text.slice(0, 300)}`);
  }

  const one = async (tx: EntityManager, sql: string, params: unknown[], what: string) => {
    const rows = await tx.execute<{ id: string }[]>(`${sql} returning id`, params);
    if (rows.length !== 1) throw new Error(`bare ${what}: ${rows.length} rows`);
  };
  const cases = {
    confirm: {
      status: "pending" as const,
      bare: (job: Job) =>
        em().transactional(async (tx) => {
          await one(tx, `update appointment set status = 'scheduled', status_changed_by_id = null, hold_expires_at = null, version = version + 1, updated_at = now() where id = ? and status = 'pending'`, [job.appointmentId], "confirm");
          await one(tx, `update slot set status = 'booked', hold_expires_at = null, version = version + 1, updated_at = now() where id = ? and status = 'held'`, [job.slotId], "book");
        }),
      route: (job: Job) => post(job, "confirm", {}),
    },
    cancel: {
      status: "scheduled" as const,
      bare: (job: Job) =>
        em().transactional(async (tx) => {
          await one(tx, `update appointment set status = 'cancelled', status_reason = ?, hold_expires_at = null, version = version + 1, updated_at = now() where id = ? and status = 'scheduled'`, ["bench", job.appointmentId], "cancel");
          await one(tx, `update slot set status = 'available', hold_expires_at = null, version = version + 1, updated_at = now() where id = ? and status in ('held', 'booked')`, [job.slotId], "free");
        }),
      route: (job: Job) => post(job, "cancel", { reason: "bench" }),
    },
    reschedule: {
      status: "scheduled" as const,
      bare: (job: Job) =>
        em().transactional(async (tx) => {
          await one(tx, `update appointment set status = 'cancelled', status_reason = 'rescheduled', hold_expires_at = null, version = version + 1, updated_at = now() where id = ? and status = 'scheduled'`, [job.appointmentId], "cancel");
          await one(tx, `update slot set status = 'available', hold_expires_at = null, version = version + 1, updated_at = now() where id = ? and status in ('held', 'booked')`, [job.slotId], "free");
          await one(tx, `update slot set status = 'booked', hold_expires_at = null, version = version + 1, updated_at = now() where id = ? and status = 'available'`, [job.targetSlotId], "take");
          await one(
            tx,
            `insert into appointment (id, slot_id, patient_id, doctor_id, clinic_id, starts_at, ends_at, status, payment_status, fee_minor, transaction_fee_minor, currency, amount_due_minor, rescheduled_from, version, created_at, updated_at)
             select gen_random_uuid(), s.id, a.patient_id, s.doctor_id, s.clinic_id, s.starts_at, s.ends_at, 'scheduled', a.payment_status, a.fee_minor, a.transaction_fee_minor, a.currency, 0, a.id, 1, now(), now()
               from slot s, appointment a where s.id = ? and a.id = ?`,
            [job.targetSlotId, job.appointmentId],
            "insert",
          );
        }),
      route: (job: Job) => post(job, "reschedule", { slotId: job.targetSlotId }),
    },
  };

  type Name = keyof typeof cases;
  const names = (process.env.BENCH_CASES?.split(",") ?? Object.keys(cases)) as Name[];
  const results: { name: Name; bare: LoadResult; route: LoadResult }[] = [];
  const statements: string[] = [];
  for (const name of names) {
    const c = cases[name];
    const moves = name === "reschedule";
    // Warm-up of both (JIT, pool, plans), then bare and route on fresh appointments.
    await run(await lay(WARMUP, c.status, moves), c.bare);
    await run(await lay(WARMUP, c.status, moves), c.route);
    await em().execute(`vacuum analyze appointment, slot`);
    const jobs = { bare: await lay(OPS, c.status, moves), route: await lay(OPS, c.status, moves) };
    await runtime.outbox.idle();
    await statementReport(services.databaseUrl, "", 1);
    const bare = await run(jobs.bare, c.bare);
    statements.push(await statementReport(services.databaseUrl, `${name}: bare SQL`, OPS));
    const route = await run(jobs.route, c.route);
    await runtime.outbox.idle();
    statements.push(await statementReport(services.databaseUrl, `${name}: route, with its after-commit work`, OPS));
    results.push({ name, bare, route });
  }

  const line = (name: string, r: LoadResult, baseline: LoadResult) =>
    name.padEnd(44) + r.perSecond.toFixed(0).padStart(8) + " ops/s" + r.p50Ms.toFixed(2).padStart(9) + r.p99Ms.toFixed(2).padStart(9) + `  ${(r.perSecond / baseline.perSecond).toFixed(2)}×`;
  process.stdout.write(
    [
      `\nConfirm, cancel, reschedule: ${CLIENTS} clients, ${OPS} appointments per case (every answer checked)`,
      "case".padEnd(44) + "rate".padStart(14) + "p50 ms".padStart(9) + "p99 ms".padStart(9) + "  vs own SQL",
      ...results.flatMap(({ name, bare, route }) => [
        line(`${name}: bare SQL (one transaction)`, bare, bare),
        line(`${name}: POST /appointments/:id/${name}`, route, bare),
      ]),
      `\n${cpuHeader()}`,
      ...results.flatMap(({ name, bare, route }) => [cpuLine(`${name}: bare SQL`, bare.cpu!), cpuLine(`${name}: route`, route.cpu!)]),
      "",
      ...results.map(({ name, bare, route }) => cpuBound(`${name}`, route.cpu!, bare.cpu!)),
      ...statements,
      "",
    ].join("\n"),
  );
  client.close();
  await runtime.close();
} finally {
  await services.stop();
}
