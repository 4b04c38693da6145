/**
 * Thousands of hold / confirm / cancel / reschedule / lapse operations from many patients over many
 * slots, in a seeded random order with 16 in flight at once; SQL then proves there is no double
 * booking and that every slot's status agrees with its appointments.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestApp } from "../support/harness";
import type { TestPerson } from "../support/identity";
import { api, hold, inconsistencies, patientOn, query, setup, slots, startBookingApp } from "./support";

const OPERATIONS = 2_000;
const IN_FLIGHT = 16;
const PATIENTS = 40;
const SLOTS = 30;

/** mulberry32: a tiny seeded generator, so a failing run can be replayed. */
function random(seed: number) {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

describe("randomized booking run", () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startBookingApp({ LOG_LEVEL: "error", RATE_LIMIT_MAX: "1000000" });
  });
  afterAll(() => app?.close());

  it("ends with zero double bookings and every slot consistent with its appointments", async () => {
    const { clinicId, doctor } = await setup(app);
    const slotIds = (await slots(app, doctor.doctorId, clinicId, SLOTS)).map((slot) => slot.id);
    const patients: TestPerson[] = [];
    for (let i = 0; i < PATIENTS; i++) {
      // The vise tier books free with a doctor it has a relation with, so confirm is reachable.
      const patient = await patientOn(app, "vise");
      await query(app, `insert into doctor_patient (id, doctor_id, patient_id) values (gen_random_uuid(), ?, ?)`, [
        doctor.doctorId,
        patient.patientId,
      ]);
      patients.push(patient);
    }

    const next = random(20261122);
    const pick = <T>(items: T[]) => items[Math.floor(next() * items.length)]!;
    /** Appointment ids seen so far, with who owns them. */
    const appointments: { id: string; owner: TestPerson }[] = [];
    const outcomes = new Map<string, number>();
    const tally = (operation: string, status: number) => {
      const key = `${operation} ${status}`;
      outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
    };

    async function operate() {
      const roll = next();
      if (roll < 0.35 || appointments.length === 0) {
        const patient = pick(patients);
        const reply = await hold(app, patient, { slotId: pick(slotIds) });
        if (reply.status === 201) appointments.push({ id: reply.body.id as string, owner: patient });
        return tally("hold", reply.status);
      }
      const target = pick(appointments);
      if (roll < 0.6) {
        return tally("confirm", (await api(app, target.owner, "POST", `/appointments/${target.id}/confirm`)).status);
      }
      if (roll < 0.75) {
        return tally("cancel", (await api(app, target.owner, "POST", `/appointments/${target.id}/cancel`, { reason: "random" })).status);
      }
      if (roll < 0.9) {
        const reply = await api(app, target.owner, "POST", `/appointments/${target.id}/reschedule`, { slotId: pick(slotIds) });
        const moved = (reply.body as { appointment?: { id: string } }).appointment;
        if (reply.status === 200 && moved) appointments.push({ id: moved.id, owner: target.owner });
        return tally("reschedule", reply.status);
      }
      // Time passes for one hold: it lapses without any worker running.
      await query(app, `update appointment set hold_expires_at = now() - interval '1 second' where id = ? and status = 'pending'`, [target.id]);
      await query(
        app,
        `update slot set hold_expires_at = now() - interval '1 second'
          where status = 'held' and id = (select slot_id from appointment where id = ? and status = 'pending')`,
        [target.id],
      );
      return tally("lapse", 200);
    }

    let issued = 0;
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (issued < OPERATIONS) {
          issued++;
          await operate();
        }
      }),
    );

    const statuses = [...outcomes.keys()].map((key) => Number(key.split(" ")[1]));
    expect(statuses.filter((status) => status >= 500)).toEqual([]);
    // Every kind of operation really happened, successes and refusals alike.
    for (const success of ["hold 201", "confirm 200", "cancel 200", "reschedule 200", "hold 409"]) {
      expect([success, outcomes.get(success) ?? 0]).not.toEqual([success, 0]);
    }
    expect(await inconsistencies(app, doctor.doctorId)).toEqual({ doubles: 0, mismatched: [], overlapping: 0 });
  }, 240_000);
});
