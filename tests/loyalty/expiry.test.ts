/** The hold-expiry job, run by a real worker runtime, gives back the points a lapsed free hold redeemed. */
import { describe, expect, it } from "vitest";
import { jobResult, useApiAndWorker, waitFor } from "../support/harness";
import { buildClinicWithDoctor, buildPatient, buildSlots, grantPoints } from "../support/factories";
import { balanceOf, hold } from "../support/api";
import { query } from "../support/db";
import { entries } from "./support";

describe("loyalty and the hold-expiry job", () => {
  // The worker node runs the jobs; the test drives the api node.
  const { api } = useApiAndWorker({ RATE_LIMIT_MAX: "100000", LOG_LEVEL: "error" });

  it("returns the points once when the worker expires the hold; a re-run returns nothing more", async () => {
    const { clinicId, doctor } = await buildClinicWithDoctor(api);
    const [slot] = await buildSlots(api, { doctorId: doctor.doctorId, clinicId, count: 1 });
    const patient = await buildPatient(api, { tier: "standard" });
    await grantPoints(api, patient.patientId, clinicId, 120);
    const held = await hold(api, patient, { slotId: slot!.id, redeemPoints: true });
    expect(held.status).toBe(201);
    expect(await balanceOf(api, patient)).toBe(20);
    const job = await api.runtime.queues.get("booking").getJob(`hold-${held.body.id}`);
    await query(api, `update appointment set hold_expires_at = now() - interval '1 second' where id = ?`, [held.body.id]);
    await query(api, `update slot set hold_expires_at = now() - interval '1 second' where id = ?`, [slot!.id]);
    await job!.promote();
    await waitFor(async () => (await query(api, `select status from appointment where id = ?`, [held.body.id]))[0]!.status === "expired");
    expect(await balanceOf(api, patient)).toBe(120);
    await api.runtime.queues.get("booking").add("hold-expiry", { appointmentId: held.body.id }, { jobId: `hold-again-${held.body.id}` });
    await jobResult(api.runtime.queues.get("booking"), `hold-again-${held.body.id}`);
    expect(await entries(api, patient.patientId, "return")).toBe(1);
    expect(await balanceOf(api, patient)).toBe(120);
  }, 30_000);
});
