/**
 * Call-next under contention: DOCTORS doctors at one clinic each call their next patient as fast as
 * they can until a queue of ENTRIES unassigned walk-ins is empty; every entry must be called exactly
 * once (checked). A doctor has one called patient at a time, so after each call the entry is marked
 * done in bare SQL (untimed, the same for every case) before the doctor calls again. Baseline, same
 * run, same pool: the bare pick — `for update skip locked` on the first waiting entry and the update
 * to `called` — in one transaction. The route adds the call rule's ordering and interleave count,
 * the room, the audit row and the domain events (one statement and one insert besides begin and
 * commit), and after commit the staff events to clinic:/doctor: and the ETA trigger (no display
 * feed: no screen watches). The service case calls CallNextService directly (each doctor's
 * principal read once), which tells the route's own cost from the HTTP pipeline's (principal
 * lookup, rate limit, hooks, JSON).
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import { localDateOf } from "@clinic/shared";
import { principalFromToken } from "../server/src/modules/identity/principal";
import { CallNextService } from "../server/src/modules/queue/queue.call-next";
import { buildClinic, buildPerson, type TestPerson } from "../tests/support/factories";
import { cpuBound, cpuHeader, cpuLine, cpuMeter, servicePids } from "./proc";
import { jsonClient, latencyStats, startBenchApi, statementReport, startBenchServices, type LoadResult } from "./support";

const ENTRIES = Number(process.env.BENCH_REQUESTS ?? 1_000);
const DOCTORS = Number(process.env.BENCH_CONCURRENCY ?? 8);

const PICK = `select id from queue_entry where clinic_id = ? and service_day = ? and status = 'waiting'
  order by arrived_at, id limit 1 for update skip locked`;
const CALL = `update queue_entry set status = 'called', called_at = now(), doctor_id = ?, version = version + 1, updated_at = now() where id = ?`;

const services = await startBenchServices();
const pids = await servicePids(services);
try {
  const { runtime, url } = await startBenchApi(services);
  const em = () => runtime.orm.em.fork() as EntityManager;

  /** A clinic with DOCTORS doctors, a receptionist, and `entries` unassigned walk-ins waiting today. */
  async function queueOf(entries: number) {
    const clinic = await buildClinic({ runtime });
    const doctors = await Promise.all(Array.from({ length: DOCTORS }, () => buildPerson({ runtime }, "doctor", { clinicIds: [clinic.id] })));
    const patient = await buildPerson({ runtime }, "patient");
    const today = localDateOf(new Date(), clinic.timeZone);
    await em().execute(
      `insert into queue_entry (id, clinic_id, patient_id, kind, service_day, ticket, status, arrived_at, version, created_at, updated_at)
       select gen_random_uuid(), ?, ?, 'walk_in', ?, 'W-' || lpad(n::text, 4, '0'), 'waiting', now() - make_interval(secs => ? - n), 1, now(), now()
         from generate_series(1, ?) n`,
      [clinic.id, patient.patientId, today, entries, entries],
    );
    return { clinicId: clinic.id, today, doctors };
  }

  /**
   * Each doctor calls until the queue is empty (`call` answers the called entry's id, or null),
   * seeing each patient off before the next call; returns the figures after checking one call per entry.
   */
  async function drain(clinicId: string, doctors: TestPerson[], call: (doctor: TestPerson) => Promise<string | null>): Promise<LoadResult> {
    const latencies: number[] = [];
    const meter = cpuMeter(pids);
    const started = performance.now();
    await Promise.all(
      doctors.map(async (doctor) => {
        for (;;) {
          const t = performance.now();
          const called = await call(doctor);
          if (!called) return;
          latencies.push(performance.now() - t);
          await em().execute(`update queue_entry set status = 'done', finished_at = now(), version = version + 1 where id = ?`, [called]);
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const [check] = await em().execute<{ waiting: number; done: number }[]>(
      `select count(*) filter (where status = 'waiting')::int as waiting, count(*) filter (where status = 'done')::int as done from queue_entry where clinic_id = ?`,
      [clinicId],
    );
    if (check!.waiting !== 0 || check!.done !== latencies.length) {
      throw new Error(`queue ${clinicId}: ${check!.waiting} left waiting, ${check!.done} called and seen for ${latencies.length} calls`);
    }
    return latencyStats(latencies, seconds, meter);
  }

  const bare = async (queue: Awaited<ReturnType<typeof queueOf>>) =>
    drain(queue.clinicId, queue.doctors, (doctor) =>
      em().transactional(async (tx) => {
        const [picked] = await tx.execute<{ id: string }[]>(PICK, [queue.clinicId, queue.today]);
        if (!picked) return null;
        await tx.execute(CALL, [doctor.doctorId, picked.id]);
        return picked.id;
      }),
    );

  const client = jsonClient(DOCTORS);
  const viaHttp = async (queue: Awaited<ReturnType<typeof queueOf>>) =>
    drain(queue.clinicId, queue.doctors, async (doctor) => {
      const { status, text } = await client.post(`${url}/api/v1/doctors/${doctor.doctorId}/queue/call-next`, doctor.headers, { clinicId: queue.clinicId });
      if (status !== 200) throw new Error(`call-next → ${status} ${text.slice(0, 200)}`);
      return (JSON.parse(text) as { entry: { id: string } | null }).entry?.id ?? null;
    });

  const service = new CallNextService(runtime.context);
  const viaService = async (queue: Awaited<ReturnType<typeof queueOf>>) => {
    const principals = new Map(await Promise.all(queue.doctors.map(async (doctor) => [doctor, await principalFromToken(em(), runtime.config.auth.jwtSecret, doctor.token)] as const)));
    return drain(queue.clinicId, queue.doctors, async (doctor) => {
      const actor = { userId: doctor.user.id, role: "doctor", ip: "127.0.0.1", userAgent: "bench", requestId: null };
      return (await service.callNext(principals.get(doctor)!, actor, doctor.doctorId!, { clinicId: queue.clinicId }))?.id ?? null;
    });
  };

  // Warm-up of every path, then the measured runs on fresh queues (each case's after-commit work
  // is let finish before the next starts).
  await bare(await queueOf(100));
  await viaService(await queueOf(100));
  await viaHttp(await queueOf(100));
  await runtime.outbox.idle();
  const baseline = await bare(await queueOf(ENTRIES));
  const direct = await viaService(await queueOf(ENTRIES));
  await runtime.outbox.idle();
  const routeQueue = await queueOf(ENTRIES);
  await statementReport(services.databaseUrl, "", 1);
  const route = await viaHttp(routeQueue);
  await runtime.outbox.idle();
  const statements = await statementReport(services.databaseUrl, "call-next through HTTP, with its after-commit work and the bench's seen UPDATE", ENTRIES);

  const line = (name: string, r: LoadResult) =>
    name.padEnd(48) +
    r.perSecond.toFixed(0).padStart(8) +
    " calls/s" +
    r.p50Ms.toFixed(2).padStart(9) +
    r.p99Ms.toFixed(2).padStart(9) +
    `  ${(r.perSecond / baseline.perSecond).toFixed(2)}×`;
  process.stdout.write(
    [
      `\nCall-next, ${DOCTORS} doctors draining ${ENTRIES} waiting walk-ins (each entry called once, checked)`,
      "case".padEnd(48) + "rate".padStart(16) + "p50 ms".padStart(9) + "p99 ms".padStart(9) + "  vs baseline",
      line("baseline: skip-locked pick + update (SQL)", baseline),
      line("CallNextService.callNext (no HTTP)", direct),
      line("POST /doctors/:id/queue/call-next (full stack)", route),
      // Each call's figures include the bench's own "seen" UPDATE that follows it, in every case.
      `\n${cpuHeader(48)}`,
      cpuLine("baseline: skip-locked pick + update (SQL)", baseline.cpu!, 48),
      cpuLine("CallNextService.callNext (no HTTP)", direct.cpu!, 48),
      cpuLine("POST /doctors/:id/queue/call-next", route.cpu!, 48),
      "",
      cpuBound("call-next", route.cpu!, baseline.cpu!),
      statements,
    ].join("\n"),
  );
  client.close();
  await runtime.close();
} finally {
  await services.stop();
}
