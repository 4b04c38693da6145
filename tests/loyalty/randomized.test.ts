/**
 * A seeded random sequence of awards, redemptions (held, confirmed), releases and cancellations at two
 * clinics (one where a cancellation is always timely, one where a confirmed visit is always past the
 * cutoff): after every step the reported balance equals the ledger's sum and a model, and is never negative.
 */
import { describe, expect, it } from "vitest";
import { useApp } from "../support/harness";
import { buildClinicWithDoctor, buildPatient, buildSlots, grantPoints, setClinicSettings } from "../support/factories";
import { balanceOf, call, hold } from "../support/api";
import { ledgerSum } from "./support";

function mulberry32(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("loyalty ledger under a randomized sequence", () => {
  const app = useApp({ LOG_LEVEL: "error" });

  it.each([11, 2026])("seed %i: balance = ledger sum = model, never negative", async (seed) => {
    const random = mulberry32(seed);
    const pick = <T>(items: T[]) => items[Math.floor(random() * items.length)]!;
    const timely = await buildClinicWithDoctor(app);
    const late = await buildClinicWithDoctor(app);
    await setClinicSettings(app, timely.clinicId, { loyaltyPointsPerFreeBooking: 40 });
    await setClinicSettings(app, late.clinicId, { loyaltyPointsPerFreeBooking: 25, patientCancelCutoffHours: 200 });
    const clinics = [
      { ...timely, cost: 40, free: await buildSlots(app, { doctorId: timely.doctor.doctorId, clinicId: timely.clinicId, count: 30 }) },
      { ...late, cost: 25, free: await buildSlots(app, { doctorId: late.doctor.doctorId, clinicId: late.clinicId, count: 30 }) },
    ];
    const patient = await buildPatient(app, { tier: "standard" });
    let model = 0;
    const live: { id: string; clinic: (typeof clinics)[number]; status: "pending" | "scheduled" }[] = [];

    for (let step = 0; step < 40; step += 1) {
      const roll = random();
      const clinic = pick(clinics);
      if (roll < 0.25) {
        const points = 1 + Math.floor(random() * 40);
        await grantPoints(app, patient.patientId, clinic.clinicId, points);
        model += points;
      } else if (roll < 0.6 && clinic.free.length) {
        const slot = clinic.free.shift()!;
        const reply = await hold(app, patient, { slotId: slot.id, redeemPoints: true });
        if (model >= clinic.cost) {
          expect(reply.status).toBe(201);
          model -= clinic.cost;
          live.push({ id: reply.body.id, clinic, status: "pending" });
        } else {
          expect(reply.body.code).toBe("INSUFFICIENT_POINTS");
        }
      } else if (roll < 0.75 && live.some((a) => a.status === "pending")) {
        const appointment = pick(live.filter((a) => a.status === "pending"));
        expect((await call(app, patient, "POST", `/appointments/${appointment.id}/confirm`)).status).toBe(200);
        appointment.status = "scheduled";
      } else if (live.length) {
        const appointment = pick(live);
        live.splice(live.indexOf(appointment), 1);
        // A hold always comes back; a confirmed visit only where the cutoff has not passed.
        const returned = appointment.status === "pending" || appointment.clinic.clinicId === timely.clinicId;
        const who = returned ? patient : appointment.clinic.reception;
        expect((await call(app, who, "POST", `/appointments/${appointment.id}/cancel`, { reason: "random" })).status).toBe(200);
        if (returned) model += appointment.clinic.cost;
      }
      const reported = await balanceOf(app, patient);
      expect([step, reported]).toEqual([step, model]);
      expect(await ledgerSum(app, patient.patientId)).toBe(model);
      expect(reported).toBeGreaterThanOrEqual(0);
    }
  }, 120_000);
});
