/**
 * Thousands of hold / confirm / cancel / reschedule / lapse operations from many patients over many
 * slots and elastic offers, in a seeded random order with 16 in flight at once; SQL then proves there
 * is no double booking, that every slot's status agrees with its appointments, and that every elastic
 * block's bookings follow their allocations, never overlap and fit its capacity.
 */
import { describe, expect, it } from "vitest";
import { useApp } from "../support/harness";
import { buildClinicService, buildClinicWithDoctor, buildPatient, buildSlots, type TestPerson } from "../support/factories";
import { call, hold } from "../support/api";
import { blockInvariants, inconsistencies, query } from "../support/db";
import { at, dayFromNow } from "../support/dates";
import { seededRandom } from "../support/random";

const OPERATIONS = 2_000;
const IN_FLIGHT = 16;
const PATIENTS = 40;
const SLOTS = 30;
/** Elastic blocks of two hours: six 20-minute places each. */
const BLOCKS = 3;

describe("randomized booking run", () => {
  const app = useApp({ LOG_LEVEL: "error", RATE_LIMIT_MAX: "1000000" });

  it("ends with zero double bookings and every slot consistent with its appointments", async () => {
    const { clinicId, doctor, reception } = await buildClinicWithDoctor(app);
    const slotIds = (await buildSlots(app, { doctorId: doctor.doctorId, clinicId, count: SLOTS })).map((slot) => slot.id);
    const serviceId = await buildClinicService(app, clinicId, 20);
    const blocks: { id: string; start: Date }[] = [];
    for (let i = 0; i < BLOCKS; i++) {
      const start = at(dayFromNow(6 + i), "09:00");
      const reply = await call(app, reception, "POST", `/doctors/${doctor.doctorId}/elastic-blocks`, {
        clinicId,
        startsAt: start.toISOString(),
        endsAt: new Date(start.getTime() + 120 * 60_000).toISOString(),
      });
      expect(reply.status).toBe(201);
      blocks.push({ id: reply.body.id as string, start });
    }
    const patients: TestPerson[] = [];
    for (let i = 0; i < PATIENTS; i++) {
      // The vise tier books free with a doctor it has a relation with, so confirm is reachable.
      const patient = await buildPatient(app, { tier: "vise" });
      await query(app, `insert into doctor_patient (id, doctor_id, patient_id) values (gen_random_uuid(), ?, ?)`, [
        doctor.doctorId,
        patient.patientId,
      ]);
      patients.push(patient);
    }

    const next = seededRandom(20261122);
    const pick = <T>(items: T[]) => items[Math.floor(next() * items.length)]!;
    /** Appointment ids seen so far, with who owns them. */
    const appointments: { id: string; owner: TestPerson }[] = [];
    const outcomes = new Map<string, number>();
    /** A place to book: a slot, or an elastic start (mostly one on offer now, sometimes a stale guess). */
    async function place(): Promise<Record<string, unknown>> {
      if (next() < 0.65) return { slotId: pick(slotIds) };
      const block = pick(blocks);
      const params = new URLSearchParams({ doctorId: doctor.doctorId, serviceId, from: block.start.toISOString(), to: new Date(block.start.getTime() + 120 * 60_000).toISOString() });
      const offered = ((await (await fetch(`${app.url}/api/v1/slots?${params}`)).json()) as { items: { start: string }[] }).items.map((item) => item.start);
      const start = offered.length > 0 && next() < 0.8 ? pick(offered) : new Date(block.start.getTime() + Math.floor(next() * 6) * 20 * 60_000).toISOString();
      return { elastic: { blockId: block.id, start } };
    }
    const tally = (operation: string, status: number) => {
      const key = `${operation} ${status}`;
      outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
    };

    async function operate() {
      const roll = next();
      if (roll < 0.35 || appointments.length === 0) {
        const patient = pick(patients);
        const reply = await hold(app, patient, { ...(await place()), serviceId });
        if (reply.status === 201) appointments.push({ id: reply.body.id as string, owner: patient });
        return tally("hold", reply.status);
      }
      const target = pick(appointments);
      if (roll < 0.6) {
        return tally("confirm", (await call(app, target.owner, "POST", `/appointments/${target.id}/confirm`)).status);
      }
      if (roll < 0.75) {
        return tally("cancel", (await call(app, target.owner, "POST", `/appointments/${target.id}/cancel`, { reason: "random" })).status);
      }
      if (roll < 0.9) {
        const reply = await call(app, target.owner, "POST", `/appointments/${target.id}/reschedule`, await place());
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
    const elasticBookings = await query<{ n: number }>(app, `select count(*)::int as n from appointment where doctor_id = ? and elastic_allocation_id is not null`, [doctor.doctorId]);
    expect(elasticBookings[0]!.n).toBeGreaterThan(20);
    for (const block of blocks) expect(await blockInvariants(app, block.id)).toEqual({ drift: 0, overlapping: 0, overCapacity: false });
  }, 240_000);
});
