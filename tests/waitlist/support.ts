/** Waitlist steps: joining, freeing a slot by a cancellation, reading offers, two patients in line. */
import type { Socket } from "socket.io-client";
import { expect } from "vitest";
import { call } from "../support/api";
import { query } from "../support/db";
import { buildClinicWithDoctor, buildPatient, buildSlots, type TestPerson } from "../support/factories";
import { listen, subscribe, waitFor, type TestApp } from "../support/harness";

export async function join(app: TestApp, person: TestPerson, body: Record<string, unknown>) {
  const reply = await call(app, person, "POST", "/waitlist", body);
  expect(reply.status, JSON.stringify(reply.body)).toBe(201);
  return reply.body as { id: string; status: string };
}

/** A cancellation frees the slot: someone holds it and cancels (the real booking routes). */
export async function freeByCancellation(app: TestApp, slotId: string) {
  const filler = await buildPatient(app, { tier: "standard" });
  const held = await call(app, filler, "POST", "/appointments", { slotId });
  expect(held.status, JSON.stringify(held.body)).toBe(201);
  const cancelled = await call(app, filler, "POST", `/appointments/${held.body.id}/cancel`, { reason: "plans changed" });
  expect(cancelled.status).toBe(200);
}

export interface OfferRecord {
  id: string;
  entry_id: string;
  slot_id: string;
  appointment_id: string;
  status: string;
  patient_id: string;
}

export const offersOf = (app: TestApp, where: string, params: unknown[]) =>
  query<OfferRecord>(app, `select o.*, e.patient_id from waitlist_offer o join waitlist_entry e on e.id = o.entry_id where ${where} order by o.created_at`, params);

/** Waits for an offer of `slotId` to the entry and returns it. */
export const offerFor = (app: TestApp, entryId: string, slotId: string) =>
  waitFor(async () => (await offersOf(app, `o.entry_id = ? and o.slot_id = ?`, [entryId, slotId]))[0]);

/**
 * Two patients (vise, related to the doctor: free to book it) waiting in line for one doctor's only
 * slot (first joined first), the first one listening on `me`: the start of the offer →
 * decline/timeout → next patient stories.
 */
export async function twoInLine(app: TestApp, range: { from: string; to: string }, sockets: Socket[]) {
  const { clinicId, doctor } = await buildClinicWithDoctor(app);
  const [slot] = await buildSlots(app, { doctorId: doctor.doctorId, clinicId, count: 1 });
  const first = await buildPatient(app, { tier: "vise", relatedTo: doctor.doctorId });
  const second = await buildPatient(app, { tier: "vise", relatedTo: doctor.doctorId });
  const firstEntry = await join(app, first, { doctorId: doctor.doctorId, ...range });
  const secondEntry = await join(app, second, { doctorId: doctor.doctorId, ...range });
  const me = await listen(app, first.token, sockets);
  await subscribe(me.socket, "me");
  return { doctor, slot: slot!, first, second, firstEntry, secondEntry, me };
}
