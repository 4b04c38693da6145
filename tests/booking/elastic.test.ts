/**
 * Booking elastic offers through POST /appointments: the offer's start is booked in the block's
 * packing, confirmation and cancellation move the allocation, later bookings are re-timed (and told
 * live), lapsed holds free their place without the worker, and a race on one offer has one winner.
 */
import type { Socket } from "socket.io-client";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { appointmentViewSchema, createAppointmentReplySchema } from "@clinic/shared";
import { listen, settle, subscribe, useApp } from "../support/harness";
import { buildClinicService, buildClinicWithDoctor, buildPatient, buildSlots, type TestPerson } from "../support/factories";
import { call, hold } from "../support/api";
import { blockInvariants, count, query } from "../support/db";
import { at, dayFromNow } from "../support/dates";

const MINUTE = 60_000;

describe("booking elastic offers", () => {
  const app = useApp({ LOG_LEVEL: "error" });
  let clinicId: string;
  let doctor: TestPerson & { doctorId: string };
  let reception: TestPerson;
  let service20: string;
  const sockets: Socket[] = [];
  let dayOffset = 3;

  beforeAll(async () => {
    ({ clinicId, doctor, reception } = await buildClinicWithDoctor(app));
    service20 = await buildClinicService(app, clinicId, 20);
  });
  afterEach(() => {
    for (const socket of sockets.splice(0)) socket.disconnect();
  });

  /** A fresh 09:00–10:00 block (60 minutes: three 20-minute places) on its own day. */
  async function block(): Promise<{ id: string; start: Date }> {
    const day = dayFromNow(dayOffset++);
    const start = at(day, "09:00");
    const r = await call(app, reception, "POST", `/doctors/${doctor.doctorId}/elastic-blocks`, {
      clinicId,
      startsAt: start.toISOString(),
      endsAt: new Date(start.getTime() + 60 * MINUTE).toISOString(),
    });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    return { id: r.body.id, start };
  }

  /** A patient whose bookings with this doctor are free (vise with a relation), so they confirm. */
  async function visePatient() {
    const patient = await buildPatient(app, { tier: "vise" });
    await query(app, `insert into doctor_patient (id, doctor_id, patient_id, created_at) values (gen_random_uuid(), ?, ?, now())`, [doctor.doctorId, patient.patientId]);
    return patient;
  }

  const at0 = (b: { start: Date }, minutes: number) => new Date(b.start.getTime() + minutes * MINUTE).toISOString();
  const book = (person: TestPerson, b: { id: string; start: Date }, minutes: number) =>
    hold(app, person, { elastic: { blockId: b.id, start: at0(b, minutes) }, serviceId: service20 });

  /** The block's elastic offers for the 20-minute service, as minutes after its start. */
  async function offers(b: { id: string; start: Date }): Promise<number[]> {
    const params = new URLSearchParams({
      doctorId: doctor.doctorId,
      serviceId: service20,
      from: b.start.toISOString(),
      to: new Date(b.start.getTime() + 60 * MINUTE).toISOString(),
    });
    const response = await fetch(`${app.url}/api/v1/slots?${params}`);
    const page = (await response.json()) as { items: { type: string; blockId?: string; start: string }[] };
    return page.items.filter((item) => item.type === "elastic" && item.blockId === b.id).map((item) => (Date.parse(item.start) - b.start.getTime()) / MINUTE);
  }

  it("holds an offer at its start, confirms it, and offers the next place; a full block offers nothing", async () => {
    const b = await block();
    expect(await offers(b)).toEqual([0]);
    const [p1, p2, p3, p4] = await Promise.all([visePatient(), visePatient(), visePatient(), visePatient()]);

    const r1 = await book(p1, b, 0);
    expect(r1.status, JSON.stringify(r1.body)).toBe(201);
    const reply = createAppointmentReplySchema.parse(r1.body);
    expect(reply).toMatchObject({ status: "pending", slotId: null, next: "confirm", start: at0(b, 0), end: at0(b, 20) });
    expect(reply.elasticAllocationId).not.toBeNull();
    expect(await offers(b)).toEqual([20]);

    expect((await book(p2, b, 20)).status).toBe(201);
    expect((await book(p3, b, 40)).status).toBe(201);
    expect(await offers(b)).toEqual([]);
    const full = await book(p4, b, 40);
    expect([full.status, full.body.code]).toEqual([409, "SLOT_TAKEN"]);

    const confirmed = await call(app, p1, "POST", `/appointments/${reply.id}/confirm`);
    expect(confirmed.status).toBe(200);
    expect(appointmentViewSchema.parse(confirmed.body)).toMatchObject({ status: "scheduled", elasticAllocationId: reply.elasticAllocationId, slotId: null });
    const [allocation] = await query<{ status: string; patient_id: string; service_id: string }>(
      app,
      `select status, patient_id, service_id from elastic_allocation where id = ?`,
      [reply.elasticAllocationId],
    );
    expect(allocation).toEqual({ status: "confirmed", patient_id: p1.patientId, service_id: service20 });
    const mine = await call(app, p1, "GET", `/appointments?scope=mine`);
    expect(mine.body.items.map((a: { id: string; start: string }) => [a.id, a.start])).toEqual([[reply.id, at0(b, 0)]]);
    expect(await blockInvariants(app, b.id)).toEqual({ drift: 0, overlapping: 0, overCapacity: false });
  });

  it("a cancellation moves the later bookings earlier, live; refilling the place moves them back", async () => {
    const b = await block();
    const [p1, p2, p3, p4] = await Promise.all([visePatient(), visePatient(), visePatient(), visePatient()]);
    const a1 = (await book(p1, b, 0)).body;
    const a2 = (await book(p2, b, 20)).body;
    const a3 = (await book(p3, b, 40)).body;
    expect(await call(app, p3, "POST", `/appointments/${a3.id}/confirm`)).toMatchObject({ status: 200 });

    const watcher = await listen(app, p4.token, sockets);
    const patient3 = await listen(app, p3.token, sockets);
    const slotsAck = await subscribe(watcher.socket, `slots:${doctor.doctorId}`);
    expect(slotsAck.ok).toBe(true);
    const snapshotBlocks = (slotsAck as { snapshot: { blocks: { blockId: string; usedMinutes: number }[] } }).snapshot.blocks;
    expect(snapshotBlocks.find((entry) => entry.blockId === b.id)).toMatchObject({ usedMinutes: 60, capacityMinutes: 60 });
    const ack = await subscribe(patient3.socket, "me");
    expect(ack.ok).toBe(true);

    expect((await call(app, p2, "POST", `/appointments/${a2.id}/cancel`, { reason: "cannot come" })).status).toBe(200);
    const moved = appointmentViewSchema.parse((await call(app, p3, "GET", `/appointments/${a3.id}`)).body);
    expect([moved.start, moved.end, moved.status]).toEqual([at0(b, 20), at0(b, 40), "scheduled"]);
    await settle(() => patient3.events.some((e) => e.type === "appointment.retimed"));
    const retimed = patient3.events.find((e) => e.type === "appointment.retimed")!;
    expect(retimed.data).toMatchObject({ appointmentId: a3.id, start: at0(b, 20), status: "scheduled" });
    await settle(() => watcher.events.some((e) => e.type === "elastic.released"));
    const released = watcher.of(`slots:${doctor.doctorId}`).find((e) => e.type === "elastic.released")!;
    expect(released.data).toMatchObject({ blockId: b.id, usedMinutes: 40, capacityMinutes: 60 });
    expect(JSON.stringify(watcher.events)).not.toContain(p3.patientId);

    // The freed place is offered again (and the end); booking it puts p3 back where they were.
    expect(await offers(b)).toEqual([20, 40]);
    const a4 = await book(p4, b, 20);
    expect([a4.status, a4.body.start]).toEqual([201, at0(b, 20)]);
    expect((await call(app, p3, "GET", `/appointments/${a3.id}`)).body.start).toBe(at0(b, 40));
    expect((await call(app, p1, "GET", `/appointments/${a1.id}`)).body.start).toBe(at0(b, 0));
    expect(await blockInvariants(app, b.id)).toEqual({ drift: 0, overlapping: 0, overCapacity: false });
  });

  it("a lapsed hold frees its place to every reader with no worker, and the next booking takes it over", async () => {
    const b = await block();
    const [p1, p2, p3] = await Promise.all([visePatient(), visePatient(), visePatient()]);
    const first = (await book(p1, b, 0)).body;
    const second = (await book(p2, b, 20)).body;
    await query(app, `update appointment set hold_expires_at = now() - interval '1 second' where id = ?`, [first.id]);

    // Read as free though nothing has run yet: its place is offered again, and p2 counts as packed
    // up behind it, so the end offer moves to 20.
    expect(await offers(b)).toEqual([0, 20]);
    const taken = await book(p3, b, 0);
    expect([taken.status, taken.body.start]).toEqual([201, at0(b, 0)]);
    const [old] = await query<{ status: string; allocation: string }>(
      app,
      `select a.status, al.status as allocation from appointment a join elastic_allocation al on al.id = a.elastic_allocation_id where a.id = ?`,
      [first.id],
    );
    expect(old).toEqual({ status: "expired", allocation: "freed" });
    expect((await call(app, p2, "GET", `/appointments/${second.id}`)).body.start).toBe(at0(b, 20));
    const confirm = await call(app, p1, "POST", `/appointments/${first.id}/confirm`);
    expect([confirm.status, confirm.body.code]).toEqual([409, "ILLEGAL_TRANSITION"]);
    expect(await blockInvariants(app, b.id)).toEqual({ drift: 0, overlapping: 0, overCapacity: false });
  });

  it("40 patients racing for one offer: one 201, every other 409 SLOT_TAKEN, the block never overflows", async () => {
    const b = await block();
    const racers = await Promise.all(Array.from({ length: 40 }, () => buildPatient(app, { tier: "standard" })));
    const replies = await Promise.all(racers.map((racer) => book(racer, b, 0)));
    expect(replies.filter((r) => r.status === 201)).toHaveLength(1);
    expect(replies.filter((r) => r.status === 409).map((r) => r.body.code)).toEqual(Array(39).fill("SLOT_TAKEN"));
    expect(await count(app, `select count(*) n from elastic_allocation where block_id = ?`, [b.id])).toBe(1);

    // Then everyone takes whatever the search offers, concurrently, until nothing is offered.
    for (let round = 0; round < 3; round++) {
      const offered = await offers(b);
      if (offered.length === 0) break;
      await Promise.all(racers.slice(round * 10, round * 10 + 10).map((racer) => book(racer, b, offered[0]!)));
    }
    expect(await offers(b)).toEqual([]);
    expect(await count(app, `select count(*) n from appointment a join elastic_allocation al on al.id = a.elastic_allocation_id where al.block_id = ? and a.status = 'pending'`, [b.id])).toBe(3);
    expect(await blockInvariants(app, b.id)).toEqual({ drift: 0, overlapping: 0, overCapacity: false });
  });

  it("reschedules between a slot and an elastic offer atomically, both ways", async () => {
    const b = await block();
    const [slot] = await buildSlots(app, { doctorId: doctor.doctorId, clinicId, count: 1 });
    const patient = await visePatient();
    const onSlot = (await hold(app, patient, { slotId: slot!.id, serviceId: service20 })).body;
    expect((await call(app, patient, "POST", `/appointments/${onSlot.id}/confirm`)).status).toBe(200);

    const toElastic = await call(app, patient, "POST", `/appointments/${onSlot.id}/reschedule`, { elastic: { blockId: b.id, start: at0(b, 0) } });
    expect(toElastic.status, JSON.stringify(toElastic.body)).toBe(200);
    expect(toElastic.body.appointment).toMatchObject({ status: "scheduled", slotId: null, start: at0(b, 0), rescheduledFrom: onSlot.id });
    expect((await query<{ status: string }>(app, `select status from slot where id = ?`, [slot!.id]))[0]!.status).toBe("available");
    expect((await query<{ status: string }>(app, `select status from elastic_allocation where id = ?`, [toElastic.body.appointment.elasticAllocationId]))[0]!.status).toBe(
      "confirmed",
    );

    const back = await call(app, patient, "POST", `/appointments/${toElastic.body.appointment.id}/reschedule`, { slotId: slot!.id });
    expect(back.status, JSON.stringify(back.body)).toBe(200);
    expect(back.body.appointment).toMatchObject({ status: "scheduled", slotId: slot!.id, elasticAllocationId: null });
    expect((await query<{ status: string }>(app, `select status from elastic_allocation where id = ?`, [toElastic.body.appointment.elasticAllocationId]))[0]!.status).toBe(
      "freed",
    );
    expect(await offers(b)).toEqual([0]);

    // Into a full block: nothing changes.
    const others = await Promise.all([visePatient(), visePatient(), visePatient()]);
    for (const [i, other] of others.entries()) expect((await book(other, b, i * 20)).status).toBe(201);
    const refused = await call(app, patient, "POST", `/appointments/${back.body.appointment.id}/reschedule`, { elastic: { blockId: b.id, start: at0(b, 40) } });
    expect([refused.status, refused.body.code]).toEqual([409, "SLOT_TAKEN"]);
    expect((await call(app, patient, "GET", `/appointments/${back.body.appointment.id}`)).body.status).toBe("scheduled");
    expect((await query<{ status: string }>(app, `select status from slot where id = ?`, [slot!.id]))[0]!.status).toBe("booked");
  });

  it("staff moves re-time a booked allocation; freeing or confirming it goes through the appointment", async () => {
    const b = await block();
    const [p1, p2] = await Promise.all([visePatient(), visePatient()]);
    const a1 = (await book(p1, b, 0)).body;
    const a2 = (await book(p2, b, 20)).body;
    const freed = await call(app, reception, "POST", `/elastic-allocations/${a1.elasticAllocationId}/free`);
    expect([freed.status, freed.body.code]).toEqual([409, "ALLOCATION_BOOKED"]);
    const confirmed = await call(app, reception, "POST", `/elastic-allocations/${a1.elasticAllocationId}/confirm`);
    expect([confirmed.status, confirmed.body.code]).toEqual([409, "ALLOCATION_BOOKED"]);

    const patient2 = await listen(app, p2.token, sockets);
    expect((await subscribe(patient2.socket, "me")).ok).toBe(true);
    const moved = await call(app, reception, "POST", `/elastic-allocations/${a2.elasticAllocationId}/move`, { position: 0 });
    expect(moved.status).toBe(200);
    expect((await call(app, p2, "GET", `/appointments/${a2.id}`)).body.start).toBe(at0(b, 0));
    expect((await call(app, p1, "GET", `/appointments/${a1.id}`)).body.start).toBe(at0(b, 20));
    await settle(() => patient2.events.some((e) => e.type === "appointment.retimed"));
    expect(patient2.events.find((e) => e.type === "appointment.retimed")!.data).toMatchObject({ appointmentId: a2.id, start: at0(b, 0) });
    expect(await blockInvariants(app, b.id)).toEqual({ drift: 0, overlapping: 0, overCapacity: false });
  });

  it("bad input names the field and writes nothing", async () => {
    const b = await block();
    const patient = await visePatient();
    const before = await count(app, `select count(*) n from appointment`);
    const both = await call(app, patient, "POST", "/appointments", { slotId: b.id, elastic: { blockId: b.id, start: at0(b, 0) }, serviceId: service20 });
    expect([both.status, both.body.errors[0].field]).toEqual([400, "body.elastic"]);
    const neither = await call(app, patient, "POST", "/appointments", { serviceId: service20 });
    expect([neither.status, neither.body.errors[0].field]).toEqual([400, "body.slotId"]);
    const unsized = await call(app, patient, "POST", "/appointments", { elastic: { blockId: b.id, start: at0(b, 0) } });
    expect([unsized.status, unsized.body.errors[0].field]).toEqual([400, "body.serviceId"]);
    const badStart = await call(app, patient, "POST", "/appointments", { elastic: { blockId: b.id, start: "9 o'clock" }, serviceId: service20 });
    expect([badStart.status, badStart.body.errors[0].field]).toEqual([400, "body.elastic.start"]);
    const outside = await book(patient, b, 60);
    expect([outside.status, outside.body.code, outside.body.field]).toEqual([422, "OUTSIDE_BLOCK", "body.elastic.start"]);
    const offGrid = await book(patient, b, 5);
    expect([offGrid.status, offGrid.body.code]).toEqual([409, "SLOT_TAKEN"]);
    const unknown = await hold(app, patient, { elastic: { blockId: clinicId, start: at0(b, 0) }, serviceId: service20 });
    expect(unknown.status).toBe(404);
    expect(await count(app, `select count(*) n from appointment`)).toBe(before);
    expect(await count(app, `select count(*) n from elastic_allocation where block_id = ?`, [b.id])).toBe(0);
  });
});
