/**
 * The rolling-horizon jobs run by a real worker runtime (ROLE=worker) against real Redis and
 * PostgreSQL: the nightly `slot-horizon` lays what the rules owe up to the horizon and publishes it;
 * the weekly `slot-purge` deletes old free or expired slots that no appointment points at.
 */
import { describe, expect, it } from "vitest";
import { SLOT_HORIZON_JOB, SLOT_PURGE_JOB } from "../../server/src/modules/scheduling/scheduling.jobs";
import { jobResult, seqOf, useApiAndWorker } from "../support/harness";
import { buildAppointment, buildClinic, buildDoctor, buildPerson, buildSlot, weekdayRule } from "../support/factories";
import { call } from "../support/api";
import { count } from "../support/db";

const DAY = 86_400_000;

describe("rolling horizon jobs", () => {
  // The worker node runs the jobs; the test drives the api node.
  const { api, worker } = useApiAndWorker({ RATE_LIMIT_MAX: "100000", LOG_LEVEL: "error" });

  /** Adds one run of a maintenance job and waits for the worker to finish it and deliver its events. */
  async function run(name: string, id: string): Promise<Record<string, number>> {
    await api.runtime.queues.get("maintenance").add(name, {}, { jobId: id });
    return jobResult(api.runtime.queues.get("maintenance"), id, { settle: [worker] });
  }

  it("registers both as one cron schedule each, however many workers run", async () => {
    const schedulers = await api.runtime.queues.get("maintenance").getJobSchedulers();
    const byName = new Map(schedulers.map((scheduler) => [scheduler.name, scheduler.pattern]));
    expect(byName.get(SLOT_HORIZON_JOB)).toBe("30 2 * * *");
    expect(byName.get(SLOT_PURGE_JOB)).toBe("0 4 * * 0");
  });

  it("slot-horizon lays the slots the rules owe up to the horizon, publishes them, and a second run does nothing", async () => {
    const clinic = await buildClinic(api);
    const admin = await buildPerson(api, "clinic_admin", { clinicIds: [clinic.id] });
    const doctor = await buildDoctor(api, [clinic.id]);
    const rule = await call(api, admin, "POST", `/doctors/${doctor.doctorId}/availability-rules`, weekdayRule(clinic.id, { validUntil: undefined }));
    expect(rule.status, JSON.stringify(rule.body)).toBe(201);
    const laid = await count(api, `select count(*) n from slot where doctor_id = ?`, [doctor.doctorId]);
    expect(laid).toBeGreaterThan(100);
    // As if the horizon had moved on since: the far end of the window is not laid yet.
    const cut = new Date(Date.now() + 30 * DAY);
    const missing = await count(api, `with gone as (delete from slot where doctor_id = ? and starts_at > ? returning 1) select count(*) n from gone`, [doctor.doctorId, cut]);
    expect(missing).toBeGreaterThan(20);
    const seqBefore = await seqOf(api, `slots:${doctor.doctorId}`);

    const first = await run(SLOT_HORIZON_JOB, "horizon-test-1");
    expect(first.created).toBeGreaterThanOrEqual(missing);
    expect(await count(api, `select count(*) n from slot where doctor_id = ?`, [doctor.doctorId])).toBe(laid);
    expect((await seqOf(api, `slots:${doctor.doctorId}`)) - seqBefore).toBe(missing);

    const second = await run(SLOT_HORIZON_JOB, "horizon-test-2");
    expect(second.created).toBe(0);
    expect(await count(api, `select count(*) n from slot where doctor_id = ?`, [doctor.doctorId])).toBe(laid);
  });

  it("slot-purge deletes free and expired slots older than 7 days, keeping booked ones and appointment history", async () => {
    const clinic = await buildClinic(api);
    const doctor = await buildDoctor(api, [clinic.id]);
    const patient = await buildPerson(api, "patient");
    const at = (daysAgo: number, hour: number) => new Date(Date.now() - daysAgo * DAY + hour * 3_600_000);
    const old = await Promise.all([
      buildSlot(api, { doctorId: doctor.doctorId, clinicId: clinic.id, start: at(10, 0) }),
      buildSlot(api, { doctorId: doctor.doctorId, clinicId: clinic.id, start: at(10, 1) }),
      buildSlot(api, { doctorId: doctor.doctorId, clinicId: clinic.id, start: at(10, 2), status: "booked" }),
      buildSlot(api, { doctorId: doctor.doctorId, clinicId: clinic.id, start: at(10, 3) }),
    ]);
    await api.runtime.orm.em.fork().getConnection().execute(`update slot set status = 'expired' where id = ?`, [old[1]!.id]);
    await buildAppointment(api, { slot: old[3]!, patientId: patient.patientId!, status: "cancelled" });
    const recent = await buildSlot(api, { doctorId: doctor.doctorId, clinicId: clinic.id, start: at(3, 0) });

    const result = await run(SLOT_PURGE_JOB, "purge-test-1");
    expect(result.deleted).toBe(2);
    const left = await api.runtime.orm.em
      .fork()
      .getConnection()
      .execute<{ id: string }[]>(`select id from slot where doctor_id = ? order by starts_at`, [doctor.doctorId]);
    expect(left.map((row) => row.id)).toEqual([old[2]!.id, old[3]!.id, recent.id]);
    expect((await run(SLOT_PURGE_JOB, "purge-test-2")).deleted).toBe(0);
  });
});
