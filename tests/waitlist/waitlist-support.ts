/** Waitlist test fixtures: an api runtime and a worker runtime on one environment, joining, freeing slots, reading offers. */
import { expect } from "vitest";
import type { ModuleContext } from "../../server/src/platform/module";
import type { Runtime } from "../../server/src/platform/runtime";
import { createTestEnvironment, startTestApp, waitFor, type TestApp } from "../support/harness";
import type { Socket } from "socket.io-client";
import type { TestPerson } from "../support/identity";
import { listen, subscribe } from "../booking/realtime-support";
import { call, patientOn, query, setup, slots } from "../booking/support";

export async function startWaitlistApps(env: Record<string, string> = {}): Promise<{ api: TestApp; worker: TestApp }> {
  const environment = await createTestEnvironment();
  const common = { RATE_LIMIT_MAX: "100000", LOG_LEVEL: "error", ...env };
  const api = await startTestApp(environment, { env: common });
  const worker = await startTestApp(environment, { env: { ...common, ROLE: "worker" } });
  return { api, worker };
}

/** What a module is built from, taken from a runtime (for calling job processors directly). */
export const contextOf = (runtime: Runtime): ModuleContext => runtime.context;

/** A patient free to book the doctor (vise with a relation): accepting an offer schedules it. */
export async function freePatient(app: TestApp, doctorId: string) {
  const patient = await patientOn(app, "vise");
  await query(app, `insert into doctor_patient (id, doctor_id, patient_id, created_at) values (gen_random_uuid(), ?, ?, now())`, [doctorId, patient.patientId]);
  return patient;
}

export async function join(app: TestApp, person: TestPerson, body: Record<string, unknown>) {
  const reply = await call(app, person, "POST", "/waitlist", body);
  expect(reply.status, JSON.stringify(reply.body)).toBe(201);
  return reply.body as { id: string; status: string };
}

/** A cancellation frees the slot: someone holds it and cancels (the real booking routes). */
export async function freeByCancellation(app: TestApp, slotId: string) {
  const filler = await patientOn(app, "standard");
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

export const statusOf = async (app: TestApp, table: "slot" | "appointment" | "waitlist_entry" | "waitlist_offer", id: string) =>
  (await query<{ status: string }>(app, `select status from ${table} where id = ?`, [id]))[0]!.status;

/**
 * Two patients waiting in line for one doctor's only slot (first joined first), the first one
 * listening on `me`: the start of the offer → decline/timeout → next patient stories.
 */
export async function twoInLine(app: TestApp, range: { from: string; to: string }, sockets: Socket[]) {
  const { clinicId, doctor } = await setup(app);
  const [slot] = await slots(app, doctor.doctorId, clinicId, 1);
  const first = await freePatient(app, doctor.doctorId);
  const second = await freePatient(app, doctor.doctorId);
  const firstEntry = await join(app, first, { doctorId: doctor.doctorId, ...range });
  const secondEntry = await join(app, second, { doctorId: doctor.doctorId, ...range });
  const me = await listen(app, first.token, sockets);
  await subscribe(me.socket, "me");
  return { doctor, slot: slot!, first, second, firstEntry, secondEntry, me };
}
