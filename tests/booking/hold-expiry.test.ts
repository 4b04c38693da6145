/**
 * The hold-expiry job run by a real worker runtime (ROLE=worker) releases a lapsed hold; the
 * lifecycle's database sweep does the same without the job, once per hold however many sweep.
 */
import { describe, expect, it } from "vitest";
import { runLifecycle } from "../../server/src/modules/booking/appointment-lifecycle";
import { BookingService } from "../../server/src/modules/booking/booking.service";
import { jobResult, useApiAndWorker, waitFor, type TestApp } from "../support/harness";
import { buildClinicWithDoctor, buildPatient, buildSlots } from "../support/factories";
import { hold } from "../support/api";
import { count, query } from "../support/db";

describe("hold expiry job", () => {
  // The worker node runs the jobs; the test drives the api node.
  // The sweep's own schedule is an hour away: the race test runs it itself.
  const { api, worker } = useApiAndWorker({ HOLD_TTL_SECONDS: "30", RATE_LIMIT_MAX: "100000", LOG_LEVEL: "error", LIFECYCLE_EVERY_SECONDS: "3600" });

  it("expires the appointment and frees the slot once the hold lapsed; re-running is a no-op", async () => {
    const { clinicId, doctor } = await buildClinicWithDoctor(api);
    const [slot] = await buildSlots(api, { doctorId: doctor.doctorId, clinicId, count: 1 });
    const patient = await buildPatient(api, { tier: "standard" });
    const held = await hold(api, patient, { slotId: slot!.id });
    expect(held.status).toBe(201);
    const job = await api.runtime.queues.get("booking").getJob(`hold-${held.body.id}`);
    expect(job?.name).toBe("hold-expiry");
    // Shorten the wait: the hold lapses now and the delayed job is promoted.
    await query(api, `update appointment set hold_expires_at = now() - interval '1 second' where id = ?`, [held.body.id]);
    await query(api, `update slot set hold_expires_at = now() - interval '1 second' where id = ?`, [slot!.id]);
    await job!.promote();
    await waitFor(async () => (await query(api, `select status from appointment where id = ?`, [held.body.id]))[0]!.status === "expired");
    const [row] = await query<{ status: string; version: number }>(api, `select status, version from slot where id = ?`, [slot!.id]);
    expect(row).toMatchObject({ status: "available", version: 3 });
    await api.runtime.queues.get("booking").add("hold-expiry", { appointmentId: held.body.id }, { jobId: `hold-again-${held.body.id}` });
    await jobResult(api.runtime.queues.get("booking"), `hold-again-${held.body.id}`);
    expect((await query(api, `select version from slot where id = ?`, [slot!.id]))[0]).toMatchObject({ version: 3 });
  }, 30_000);

  it("two sweeps at once expire each lapsed hold once: one expiry each, one audit row, one event", async () => {
    const { clinicId, doctor } = await buildClinicWithDoctor(api);
    const slots = await buildSlots(api, { doctorId: doctor.doctorId, clinicId, count: 8 });
    const holds = await Promise.all(
      slots.map(async (slot) => {
        const reply = await hold(api, await buildPatient(api, { tier: "standard" }), { slotId: slot.id });
        expect(reply.status).toBe(201);
        return { appointmentId: reply.body.id as string, slotId: slot.id };
      }),
    );
    const appointmentIds = holds.map((held) => held.appointmentId);
    await query(api, `update appointment set hold_expires_at = now() - interval '1 second' where id = any(?::uuid[])`, [`{${appointmentIds}}`]);
    await query(api, `update slot set hold_expires_at = now() - interval '1 second' where id = any(?::uuid[])`, [`{${holds.map((held) => held.slotId)}}`]);

    const sweep = (app: TestApp) => runLifecycle(app.runtime.context, new BookingService(app.runtime.context));
    const reports = await Promise.all([sweep(api), sweep(worker), sweep(api)]);

    expect(reports.reduce((sum, report) => sum + report.holdsExpired, 0)).toBe(holds.length);
    for (const { appointmentId, slotId } of holds) {
      expect((await query(api, `select status from appointment where id = ?`, [appointmentId]))[0]).toEqual({ status: "expired" });
      expect((await query(api, `select status from slot where id = ?`, [slotId]))[0]).toEqual({ status: "available" });
      expect(await count(api, `select count(*) as n from audit_event where action = 'booking.appointment.expire' and entity_id = ?`, [appointmentId])).toBe(1);
      expect(await count(api, `select count(*) as n from domain_event where name = 'appointment.expired' and data->>'appointmentId' = ?`, [appointmentId])).toBe(1);
      expect(await count(api, `select count(*) as n from domain_event where name = 'slot.expired' and data->>'slotId' = ?`, [slotId])).toBe(1);
    }
    expect((await sweep(worker)).holdsExpired).toBe(0);
  }, 30_000);
});
