/**
 * The booking hot path (docs/performance.md "Booking hot path"). Through MikroORM's connection: the
 * bare conditional UPDATE that takes a slot (available, or held with a lapsed hold → held) alone in
 * autocommit, and the transaction the booking stands on — that UPDATE plus the INSERT of the pending
 * appointment — with and without the domain events and their fan-out. Then `POST /api/v1/appointments`
 * through HTTP, whose target (issue 18) is ≥ 0.5× the UPDATE + INSERT transaction with a p99 ≤ 3×
 * its p99. Two shapes of load: N clients booking distinct slots, and N clients racing for one hot
 * slot (exactly one may win each round; the bench checks it), whose losers must be answered at
 * ≥ 0.5× the distinct-slot booking rate.
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import type { AppointmentChange } from "../server/src/modules/booking/appointment.views";
import type { SlotChange } from "../server/src/modules/scheduling/slot.store";
import { recordEvents } from "../server/src/platform/outbox";
import { buildClinic, buildPerson } from "../tests/support/factories";
import { cpuBound, cpuHeader, cpuLine, cpuMeter, servicePids } from "./proc";
import { jsonClient, latencyStats, startBenchApi, startBenchServices, type LoadResult } from "./support";

const BOOKINGS = Number(process.env.BENCH_REQUESTS ?? 2_000);
const CLIENTS = Number(process.env.BENCH_CONCURRENCY ?? 32);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 150);
const WARMUP = 200;
/** Bookings through HTTP (each by a patient of its own, so per-patient rules never bite). */
const HTTP_BOOKINGS = Number(process.env.BENCH_HTTP_BOOKINGS ?? BOOKINGS);
const HOLD_SECONDS = 600;

const TAKE = `update slot set status = 'held', hold_expires_at = now() + make_interval(secs => ?), version = version + 1, updated_at = now()
  where id = ? and (status = 'available' or (status = 'held' and hold_expires_at <= now()))
  returning id, doctor_id, clinic_id, starts_at, ends_at, kind, version, hold_expires_at`;
const INSERT = `insert into appointment (id, slot_id, patient_id, doctor_id, clinic_id, starts_at, ends_at, status, hold_expires_at)
  values (gen_random_uuid(), ?, ?, ?, ?, ?, ?, 'pending', ?) returning id, version`;

interface Taken {
  id: string;
  doctor_id: string;
  clinic_id: string;
  starts_at: Date;
  ends_at: Date;
  kind: string;
  version: number;
  hold_expires_at: Date;
}

type Attempt = (slotId: string) => Promise<boolean>;

/** `CLIENTS` workers take the next free slot id from `slotIds` until it runs out; every attempt must win. */
async function distinct(attempt: Attempt, slotIds: string[]): Promise<LoadResult> {
  const latencies: number[] = [];
  let next = 0;
  const meter = cpuMeter(pids);
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (next < slotIds.length) {
        const slotId = slotIds[next++]!;
        const t = performance.now();
        if (!(await attempt(slotId))) throw new Error(`distinct slot ${slotId} was not taken`);
        latencies.push(performance.now() - t);
      }
    }),
  );
  return latencyStats(latencies, (performance.now() - started) / 1000, meter);
}

/** Each round, `CLIENTS` attempts on one slot at once; exactly one must win. Reports attempts/s. */
async function hot(attempt: Attempt, slotIds: string[]): Promise<LoadResult> {
  const latencies: number[] = [];
  const meter = cpuMeter(pids);
  const started = performance.now();
  for (const slotId of slotIds) {
    const wins = await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        const t = performance.now();
        const won = await attempt(slotId);
        latencies.push(performance.now() - t);
        return won;
      }),
    );
    const winners = wins.filter(Boolean).length;
    if (winners !== 1) throw new Error(`hot slot ${slotId}: ${winners} winners`);
  }
  return latencyStats(latencies, (performance.now() - started) / 1000, meter);
}

function row(name: string, result: LoadResult, baseline: LoadResult, unit: string): string {
  return (
    name.padEnd(44) +
    result.perSecond.toFixed(0).padStart(9) +
    ` ${unit}` +
    result.p50Ms.toFixed(2).padStart(9) +
    result.p99Ms.toFixed(2).padStart(9) +
    `  ${(result.perSecond / baseline.perSecond).toFixed(2)}× throughput, ${(result.p50Ms / baseline.p50Ms).toFixed(2)}× p50`
  );
}

const services = await startBenchServices();
const pids = await servicePids(services);
try {
  const { runtime, url: base } = await startBenchApi(services);
  const clinic = await buildClinic({ runtime }, { name: "Bench clinic" });
  const doctor = await buildPerson({ runtime }, "doctor", { clinicIds: [clinic.id] });
  const patient = await buildPerson({ runtime }, "patient");
  // An empty body: a route that exists answers 400; a missing one 404.
  const probe = await fetch(`${base}/api/v1/appointments`, { method: "POST", headers: { ...patient.headers, "content-type": "application/json" }, body: "{}" });
  const routeExists = probe.status !== 404;
  const em = () => runtime.orm.em.fork() as EntityManager;

  // One 15-minute slot after another from tomorrow, enough for every case.
  const needed = 3 * (BOOKINGS + WARMUP) + 3 * (ROUNDS + 20) + HTTP_BOOKINGS + WARMUP + 150;
  await em().execute(
    `insert into slot (id, doctor_id, clinic_id, starts_at, ends_at, status, kind, tags, version)
     select gen_random_uuid(), ?, ?, t, t + interval '15 minutes', 'available', 'regular', '{}', 1
       from generate_series(date_trunc('day', now()) + interval '1 day', date_trunc('day', now()) + interval '1 day' + (? - 1) * interval '15 minutes', interval '15 minutes') t`,
    [doctor.doctorId, clinic.id, needed],
  );
  await em().execute(`vacuum analyze`);
  const pool = (await em().execute<{ id: string }[]>(`select id from slot order by starts_at`)).map((r) => r.id);
  const takeSlots = (n: number) => pool.splice(0, n);
  process.stdout.write(`seeded ${needed} slots; POST /api/v1/appointments → ${probe.status} (${routeExists ? "exists: measured through HTTP too" : "not there yet: SQL hot path only"})\n`);

  const bareUpdate: Attempt = async (slotId) => (await em().execute<Taken[]>(TAKE, [HOLD_SECONDS, slotId])).length === 1;

  /** The hot path's transaction; `events` (given the slot taken and the appointment) are recorded in it. */
  async function book(slotId: string, events?: (slot: Taken, appointment: { id: string; version: number }) => Parameters<typeof recordEvents>[1]) {
    return em().transactional(async (tx) => {
      const [slot] = await tx.execute<Taken[]>(TAKE, [HOLD_SECONDS, slotId]);
      if (!slot) return null;
      const [appointment] = await tx.execute<{ id: string; version: number }[]>(INSERT, [
        slot.id, patient.patientId, slot.doctor_id, slot.clinic_id, slot.starts_at, slot.ends_at, slot.hold_expires_at,
      ]);
      if (events) await recordEvents(tx, events(slot, appointment!));
      return { slot, appointmentId: appointment!.id, version: appointment!.version };
    });
  }
  const hotPath: Attempt = async (slotId) => (await book(slotId)) !== null;
  const hotPathAndPublish: Attempt = async (slotId) => {
    const booked = await book(slotId, (slot, appointment) => {
      const common = {
        doctorId: slot.doctor_id,
        clinicId: slot.clinic_id,
        start: new Date(slot.starts_at).toISOString(),
        end: new Date(slot.ends_at).toISOString(),
        holdExpiresAt: new Date(slot.hold_expires_at).toISOString(),
      };
      const slotChange: SlotChange = { ...common, slotId: slot.id, status: "held", kind: slot.kind, version: slot.version, cause: "held" };
      const appointmentChange: AppointmentChange = {
        ...common,
        appointmentId: appointment.id,
        patientId: patient.patientId!,
        patientUserId: patient.user.id,
        slotId: slot.id,
        elasticAllocationId: null,
        status: "pending",
        version: appointment.version,
        cause: "created",
      };
      return [
        { name: "slot.held", data: slotChange },
        { name: "appointment.created", data: appointmentChange },
      ];
    });
    if (!booked) return false;
    await runtime.outbox.idle();
    return true;
  };

  // Warm-up of each path (JIT, pool, plans), then the measured runs.
  for (const attempt of [bareUpdate, hotPath, hotPathAndPublish]) await distinct(attempt, takeSlots(WARMUP / 2));
  for (const attempt of [bareUpdate, hotPath]) await hot(attempt, takeSlots(10));

  const distinctBase = await distinct(bareUpdate, takeSlots(BOOKINGS));
  const distinctPath = await distinct(hotPath, takeSlots(BOOKINGS));
  const distinctPublish = await distinct(hotPathAndPublish, takeSlots(BOOKINGS));
  const hotBase = await hot(bareUpdate, takeSlots(ROUNDS));
  const hotPathResult = await hot(hotPath, takeSlots(ROUNDS));
  let hotHttp: { result: LoadResult; wins: number; rounds: number } | undefined;
  let viaHttp: LoadResult | undefined;

  // ---- through HTTP, when the route is there: 201 wins, 409 (SLOT_TAKEN / SLOT_BUSY) loses.
  const httpRows: string[] = [];
  if (routeExists) {
    try {
      const people = await Promise.all(Array.from({ length: HTTP_BOOKINGS + 50 }, () => buildPerson({ runtime }, "patient")));
      // Patients on no plan may not book; the standard tier may.
      await em().execute(`update patient set subscription_tier = 'standard'`);
      // What signing them up queued (their events, notifications) is delivered before the clock starts.
      await runtime.outbox.idle();
      const racers = people.splice(0, CLIENTS);
      let nextPerson = 0;
      const client = jsonClient(CLIENTS);
      const post = async (headers: Record<string, string>, slotId: string) => {
        const response = await client.post(`${base}/api/v1/appointments`, { ...headers, "idempotency-key": crypto.randomUUID() }, { slotId });
        if (response.status === 201) return true;
        if (response.status === 409) return false;
        throw new Error(`POST /appointments → ${response.status} ${response.text.slice(0, 200)}`);
      };
      const httpDistinct: Attempt = (slotId) => post(people[nextPerson++ % people.length]!.headers, slotId);
      await distinct(httpDistinct, takeSlots(WARMUP));
      viaHttp = await distinct(httpDistinct, takeSlots(HTTP_BOOKINGS));
      httpRows.push(row("POST /api/v1/appointments (full stack)", viaHttp, distinctBase, "booked/s"));
      let racer = 0;
      const httpHot: Attempt = (slotId) => post(racers[racer++ % racers.length]!.headers, slotId);
      let wins = 0;
      const latencies: number[] = [];
      const meter = cpuMeter(pids);
      const started = performance.now();
      for (const slotId of takeSlots(Math.min(ROUNDS, 100))) {
        const results = await Promise.all(
          Array.from({ length: CLIENTS }, async () => {
            const t = performance.now();
            const won = await httpHot(slotId);
            latencies.push(performance.now() - t);
            return won;
          }),
        );
        const winners = results.filter(Boolean).length;
        if (winners > 1) throw new Error(`hot slot ${slotId}: ${winners} winners through HTTP`);
        wins += winners;
      }
      hotHttp = { result: latencyStats(latencies, (performance.now() - started) / 1000, meter), wins, rounds: Math.min(ROUNDS, 100) };
      client.close();
    } catch (error) {
      httpRows.push(`HTTP case skipped: ${(error as Error).message}`);
    }
  }

  const header = "case".padEnd(44) + "rate".padStart(9) + "          " + "p50 ms".padStart(9) + "p99 ms".padStart(9) + "  vs baseline";
  const targets: string[] = [];
  if (viaHttp) {
    const ratio = viaHttp.perSecond / distinctPath.perSecond;
    const p99 = viaHttp.p99Ms / distinctPath.p99Ms;
    targets.push(
      `POST /appointments vs UPDATE + INSERT transaction: ${ratio.toFixed(2)}× throughput (target ≥ 0.50: ${ratio >= 0.5 ? "met" : "NOT met"}), ` +
        `${p99.toFixed(2)}× p99 (target ≤ 3: ${p99 <= 3 ? "met" : "NOT met"})`,
    );
    if (viaHttp.cpu && distinctPath.cpu) targets.push(cpuBound("POST /appointments", viaHttp.cpu, distinctPath.cpu));
    if (hotHttp) {
      // Every answer of a hot round but its one winner is a loser's 409.
      const losersPerSecond = (hotHttp.result.requests - hotHttp.wins) / hotHttp.result.seconds;
      const loserRatio = losersPerSecond / viaHttp.perSecond;
      targets.push(
        `hot slot: ${hotHttp.wins}/${hotHttp.rounds} rounds with one winner; losers answered at ${losersPerSecond.toFixed(0)}/s = ${loserRatio.toFixed(2)}× the distinct-slot rate (target ≥ 0.50: ${loserRatio >= 0.5 ? "met" : "NOT met"})`,
      );
    }
  }
  process.stdout.write(
    [
      `\nBooking, ${CLIENTS} clients, ${BOOKINGS} distinct slots`,
      header,
      row("baseline: bare conditional UPDATE", distinctBase, distinctBase, "booked/s"),
      row("hot path: UPDATE + INSERT in a transaction", distinctPath, distinctBase, "booked/s"),
      row("hot path + publish (6 events) after commit", distinctPublish, distinctBase, "booked/s"),
      ...httpRows,
      `\nOne hot slot, ${CLIENTS} clients racing, ${ROUNDS} rounds (1 winner each, checked)`,
      header,
      row("baseline: bare conditional UPDATE", hotBase, hotBase, "tries/s "),
      row("hot path: UPDATE + INSERT in a transaction", hotPathResult, hotBase, "tries/s "),
      ...(hotHttp ? [row(`POST /appointments (${hotHttp.wins}/${hotHttp.rounds} rounds won)`, hotHttp.result, hotBase, "tries/s ")] : []),
      `\n${cpuHeader()}`,
      cpuLine("bare conditional UPDATE", distinctBase.cpu!),
      cpuLine("UPDATE + INSERT in a transaction", distinctPath.cpu!),
      cpuLine("… + publish (6 events) after commit", distinctPublish.cpu!),
      ...(viaHttp ? [cpuLine("POST /api/v1/appointments", viaHttp.cpu!)] : []),
      ...(hotHttp ? [cpuLine("POST /appointments, hot slot (per try)", hotHttp.result.cpu!)] : []),
      "",
      ...targets,
      "",
    ].join("\n"),
  );
  await runtime.close();
} finally {
  await services.stop();
}
