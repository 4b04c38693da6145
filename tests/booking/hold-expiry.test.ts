/** The hold-expiry job run by a real worker runtime (ROLE=worker) releases a lapsed hold. */
import { describe, expect, it } from "vitest";
import { jobResult, useApiAndWorker, waitFor } from "../support/harness";
import { buildClinicWithDoctor, buildPatient, buildSlots } from "../support/factories";
import { hold } from "../support/api";
import { query } from "../support/db";

describe("hold expiry job", () => {
  // The worker node runs the jobs; the test drives the api node.
  const { api } = useApiAndWorker({ HOLD_TTL_SECONDS: "30", RATE_LIMIT_MAX: "100000", LOG_LEVEL: "error" });

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
});
