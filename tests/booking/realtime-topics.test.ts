import type { Socket } from "socket.io-client";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { AppointmentCause, SlotCause } from "@clinic/shared";
import type { Appointment } from "../../server/src/modules/booking/appointment.entity";
import type { AppointmentChange } from "../../server/src/modules/booking/appointment.views";
import type { Slot } from "../../server/src/modules/scheduling/slot.entity";
import { SLOT_COLUMNS, slotChange, type SlotChange, type SlotRow } from "../../server/src/modules/scheduling/slot.store";
import { recordEvents } from "../../server/src/platform/outbox";
import { createTestEnvironment, listen, seqOf, settle, startTestApp, subscribe, type HasRuntime, type TestApp, type TestEnvironment } from "../support/harness";
import { buildAppointment, buildClinic, buildPerson, buildSlot, type TestPerson } from "../support/factories";
import { fork, query } from "../support/db";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Commits the changes as the booking writers do (domain events recorded in a transaction) and waits
 * for this node's outbox to hand them to the realtime subscribers.
 */
async function publishChanges(app: HasRuntime, changes: { slots?: SlotChange[]; appointments?: AppointmentChange[] }): Promise<void> {
  await fork(app).transactional((tx) =>
    recordEvents(tx, [
      ...(changes.slots ?? []).map((change) => ({ name: `slot.${change.cause as SlotCause}` as const, data: change })),
      ...(changes.appointments ?? []).map((change) => ({ name: `appointment.${change.cause as AppointmentCause}` as const, data: change })),
    ]),
  );
  await app.runtime.outbox.idle();
}

/**
 * Applies a slot transition to the database (as the committed booking transaction would) and
 * returns the SlotChange describing it, built from the updated row as the writers build theirs.
 */
async function transition(
  app: HasRuntime,
  slot: Slot,
  cause: string,
  status: "available" | "held" | "booked" | "blocked",
  holdExpiresAt: Date | null = null,
): Promise<SlotChange> {
  const [row] = await query<SlotRow>(
    app,
    `update slot set status = ?, hold_expires_at = ?, version = version + 1 where id = ? returning ${SLOT_COLUMNS}`,
    [status, holdExpiresAt, slot.id],
  );
  return slotChange(row!, cause);
}

/** The AppointmentChange the booking service would record for the appointment. */
function appointmentChange(appointment: Appointment, patientUserId: string, cause: string): AppointmentChange {
  return {
    appointmentId: appointment.id,
    patientId: appointment.patient.id,
    patientUserId,
    doctorId: appointment.doctor.id,
    clinicId: appointment.clinic.id,
    slotId: appointment.slot?.id ?? null,
    elasticAllocationId: appointment.elasticAllocation?.id ?? null,
    start: appointment.startsAt.toISOString(),
    end: appointment.endsAt.toISOString(),
    status: appointment.status,
    version: appointment.version,
    holdExpiresAt: appointment.holdExpiresAt?.toISOString() ?? null,
    cause,
  };
}

describe("booking real-time topics across two nodes", () => {
  let environment: TestEnvironment;
  let nodeA: TestApp;
  let nodeB: TestApp;
  let clinicId: string;
  let otherClinicId: string;
  let doctor: TestPerson;
  let patient: TestPerson;
  let otherPatient: TestPerson;
  let reception: TestPerson;
  let otherReception: TestPerson;
  let admin: TestPerson;
  const sockets: Socket[] = [];
  /** Each test gets slots of its own, a day apart, so snapshots are predictable. */
  let nextStart = Date.now() + 2 * DAY;
  const freshStart = () => new Date((nextStart += HOUR));

  beforeAll(async () => {
    environment = await createTestEnvironment();
    [nodeA, nodeB] = await Promise.all([startTestApp(environment), startTestApp(environment)]);
    [clinicId, otherClinicId] = (await Promise.all([buildClinic(nodeA), buildClinic(nodeA)])).map((clinic) => clinic.id) as [string, string];
    [doctor, patient, otherPatient, reception, otherReception, admin] = await Promise.all([
      buildPerson(nodeA, "doctor", { clinicIds: [clinicId] }),
      buildPerson(nodeA, "patient"),
      buildPerson(nodeA, "patient"),
      buildPerson(nodeA, "receptionist", { clinicIds: [clinicId] }),
      buildPerson(nodeA, "receptionist", { clinicIds: [otherClinicId] }),
      buildPerson(nodeA, "platform_admin"),
    ]);
  });
  afterEach(() => {
    for (const socket of sockets.splice(0)) socket.disconnect();
  });
  afterAll(() => Promise.all([nodeA.close(), nodeB.close()]));

  it("delivers held → booked → released in order with consecutive seq to subscribers on both nodes", async () => {
    const slot = await buildSlot(nodeA, { doctorId: doctor.doctorId!, clinicId, start: freshStart() });
    const topic = `slots:${doctor.doctorId}`;
    const onB = await listen(nodeB, otherPatient.token, sockets);
    const onA = await listen(nodeA, patient.token, sockets);
    const [ackB, ackA] = await Promise.all([subscribe(onB.socket, topic), subscribe(onA.socket, topic)]);
    expect(ackB).toMatchObject({ ok: true, topic });
    expect(ackA).toMatchObject({ ok: true, topic, seq: (ackB as { seq: number }).seq });
    const from = (ackB as { seq: number }).seq;

    const holdExpiresAt = new Date(Date.now() + 600_000);
    const held = await transition(nodeA, slot, "held", "held", holdExpiresAt);
    await publishChanges(nodeA, { slots: [held] });
    const booked = await transition(nodeA, slot, "booked", "booked");
    await publishChanges(nodeA, { slots: [booked] });
    const released = await transition(nodeA, slot, "released", "available");
    await publishChanges(nodeA, { slots: [released] });

    await settle(() => onA.of(topic).length === 3 && onB.of(topic).length === 3);
    for (const client of [onA, onB]) {
      expect(client.of(topic).map((event) => [event.seq, event.type, (event.data as { status: string }).status])).toEqual([
        [from + 1, "slot.held", "held"],
        [from + 2, "slot.booked", "booked"],
        [from + 3, "slot.released", "available"],
      ]);
    }
    const first = onB.of(topic)[0]!;
    expect(first.data).toEqual(held);
    expect(first.data).toMatchObject({ version: 2, holdExpiresAt: holdExpiresAt.toISOString() });
    // Nothing about who booked travels on the public topic.
    for (const event of onB.events) expect(Object.keys(event.data as object).filter((key) => /patient|user/i.test(key))).toEqual([]);
  });

  it("sends slot and appointment events to the doctor, the clinic's staff and the patient's own `me` room", async () => {
    const slot = await buildSlot(nodeA, { doctorId: doctor.doctorId!, clinicId, start: freshStart() });
    const staff = await listen(nodeB, reception.token, sockets);
    const doc = await listen(nodeA, doctor.token, sockets);
    const me = await listen(nodeB, patient.token, sockets);
    const publicView = await listen(nodeA, otherPatient.token, sockets);
    expect(await subscribe(staff.socket, `clinic:${clinicId}`)).toMatchObject({ ok: true });
    expect(await subscribe(doc.socket, `doctor:${doctor.doctorId}`)).toMatchObject({ ok: true });
    const meAck = await subscribe(me.socket, "me");
    expect(meAck).toMatchObject({ ok: true, topic: `me:${patient.user.id}`, seq: 0 });
    expect(await subscribe(publicView.socket, `slots:${doctor.doctorId}`)).toMatchObject({ ok: true });

    const held = await transition(nodeA, slot, "held", "held", new Date(Date.now() + 600_000));
    const appointment = await buildAppointment(nodeA, { slot, patientId: patient.patientId!, status: "pending" });
    const created = appointmentChange(appointment, patient.user.id, "created");
    await publishChanges(nodeB, { slots: [held], appointments: [created] });

    await settle(() => staff.events.length === 2 && doc.events.length === 2 && me.events.length === 1 && publicView.events.length === 1);
    expect(staff.events.map((event) => event.type)).toEqual(["slot.held", "appointment.created"]);
    expect(doc.events.map((event) => event.type)).toEqual(["slot.held", "appointment.created"]);
    expect(me.events).toEqual([expect.objectContaining({ topic: `me:${patient.user.id}`, seq: 1, type: "appointment.created", data: created })]);
    expect(publicView.events.map((event) => event.type)).toEqual(["slot.held"]);
    // Unsubscribing from `me` leaves the room it joined.
    expect(await me.socket.timeout(5_000).emitWithAck("unsubscribe", { topic: "me" })).toEqual({ ok: true });
    await publishChanges(nodeA, { appointments: [appointmentChange(appointment, patient.user.id, "confirmed")] });
    await settle(() => staff.events.length === 3);
    await pause(150);
    expect(me.events).toHaveLength(1);
  });

  it("keeps walk-in and emergency slots off the public topic", async () => {
    const walkIn = await buildSlot(nodeA, { doctorId: doctor.doctorId!, clinicId, start: freshStart(), kind: "walk_in" });
    const staff = await listen(nodeA, reception.token, sockets);
    const publicView = await listen(nodeB, patient.token, sockets);
    await subscribe(staff.socket, `clinic:${clinicId}`);
    const ack = await subscribe(publicView.socket, `slots:${doctor.doctorId}`);
    expect((ack as { snapshot: { slots: { slotId: string }[] } }).snapshot.slots.map((s) => s.slotId)).not.toContain(walkIn.id);

    await publishChanges(nodeA, { slots: [await transition(nodeA, walkIn, "booked", "booked")] });
    await settle(() => staff.events.length === 1);
    await pause(150);
    expect(staff.events[0]).toMatchObject({ type: "slot.booked", data: { kind: "walk_in" } });
    expect(publicView.events).toEqual([]);
  });

  it("refuses subscriptions to other people's topics", async () => {
    const asPatient = await listen(nodeA, patient.token, sockets);
    const asOtherReception = await listen(nodeB, otherReception.token, sockets);
    const forbidden = { ok: false, code: "FORBIDDEN" };
    expect(await subscribe(asPatient.socket, `clinic:${clinicId}`)).toMatchObject(forbidden);
    expect(await subscribe(asPatient.socket, `doctor:${doctor.doctorId}`)).toMatchObject(forbidden);
    expect(await subscribe(asPatient.socket, `me:${otherPatient.user.id}`)).toMatchObject(forbidden);
    expect(await subscribe(asPatient.socket, `slots:00000000-0000-4000-8000-000000000000`)).toMatchObject(forbidden);
    expect(await subscribe(asOtherReception.socket, `clinic:${clinicId}`)).toMatchObject(forbidden);
    expect(await subscribe(asOtherReception.socket, `doctor:${doctor.doctorId}`)).toMatchObject(forbidden);
    expect(await subscribe(asPatient.socket, "clinic:not-a-uuid")).toMatchObject({ ok: false, code: "UNKNOWN_TOPIC" });
    // Their own room, named directly, and the platform admin on staff topics are fine.
    expect(await subscribe(asPatient.socket, `me:${patient.user.id}`)).toMatchObject({ ok: true, topic: `me:${patient.user.id}` });
    const asAdmin = await listen(nodeA, admin.token, sockets);
    expect(await subscribe(asAdmin.socket, `clinic:${clinicId}`)).toMatchObject({ ok: true });
    expect(await subscribe(asAdmin.socket, `doctor:${doctor.doctorId}`)).toMatchObject({ ok: true });
    // A refused subscriber receives nothing of the topic.
    await publishChanges(nodeB, {
      slots: [await transition(nodeA, await buildSlot(nodeA, { doctorId: doctor.doctorId!, clinicId, start: freshStart(), kind: "emergency" }), "blocked", "blocked")],
    });
    await settle(() => asAdmin.events.length === 2);
    await pause(150);
    expect(asOtherReception.events).toEqual([]);
    expect(asPatient.events).toEqual([]);
  });

  it("lets a reconnecting client resync: the new ack's seq is the last published and the snapshot is current", async () => {
    const slot = await buildSlot(nodeA, { doctorId: doctor.doctorId!, clinicId, start: freshStart() });
    const topic = `slots:${doctor.doctorId}`;
    const first = await listen(nodeB, patient.token, sockets);
    const ack = (await subscribe(first.socket, topic)) as { ok: true; seq: number };
    first.socket.disconnect();

    await publishChanges(nodeA, { slots: [await transition(nodeA, slot, "held", "held", new Date(Date.now() + 600_000))] });
    const lastChange = await transition(nodeA, slot, "booked", "booked");
    await publishChanges(nodeA, { slots: [lastChange] });

    const again = await listen(nodeB, patient.token, sockets);
    const resync = (await subscribe(again.socket, topic)) as { ok: true; seq: number; snapshot: { slots: { slotId: string; status: string; version: number }[] } };
    expect(resync.seq).toBe(ack.seq + 2);
    expect(resync.seq).toBe(await seqOf(nodeA, topic));
    // Booked: listed as booked at its version, so a late event of an older version cannot revive it.
    expect(resync.snapshot.slots.find((s) => s.slotId === slot.id)).toMatchObject({ status: "booked", version: lastChange.version });

    const released = await transition(nodeA, slot, "released", "available");
    await publishChanges(nodeA, { slots: [released] });
    const third = await listen(nodeA, patient.token, sockets);
    const after = (await subscribe(third.socket, topic)) as { ok: true; seq: number; snapshot: { slots: unknown[] } };
    expect(after.seq).toBe(resync.seq + 1);
    expect(after.snapshot.slots).toContainEqual({ ...released, cause: undefined, holdExpiresAt: null, status: "available", version: 4 } as unknown);
    await settle(() => again.events.length === 1);
    expect(again.events[0]).toMatchObject({ seq: resync.seq + 1, type: "slot.released" });
  });

  it("gives each topic the snapshot it promises", async () => {
    const snapDoctor = await buildPerson(nodeA, "doctor", { clinicIds: [clinicId] });
    const d = snapDoctor.doctorId!;
    const now = Date.now();
    const available = await buildSlot(nodeA, { doctorId: d, clinicId, start: new Date(now + 2 * DAY) });
    const heldLive = await buildSlot(nodeA, { doctorId: d, clinicId, start: new Date(now + 2 * DAY + HOUR), status: "held", holdExpiresAt: new Date(now + 600_000) });
    const heldLapsed = await buildSlot(nodeA, { doctorId: d, clinicId, start: new Date(now + 2 * DAY + 2 * HOUR), status: "held", holdExpiresAt: new Date(now - 1_000) });
    await buildSlot(nodeA, { doctorId: d, clinicId, start: new Date(now + 2 * DAY + 3 * HOUR), kind: "walk_in" });
    await buildSlot(nodeA, { doctorId: d, clinicId, start: new Date(now + 9 * DAY) });
    // Appointments: now (today), in 3 days, in 10 days, and a cancelled one today.
    const slotNow = await buildSlot(nodeA, { doctorId: d, clinicId, start: new Date(now), status: "booked" });
    const slot3 = await buildSlot(nodeA, { doctorId: d, clinicId, start: new Date(now + 3 * DAY), status: "booked" });
    const slot10 = await buildSlot(nodeA, { doctorId: d, clinicId, start: new Date(now + 10 * DAY), status: "booked" });
    const slotCancelled = await buildSlot(nodeA, { doctorId: d, clinicId, start: new Date(now + 20 * 60_000) });
    const patientNow = await buildAppointment(nodeA, { slot: slotNow, patientId: patient.patientId! });
    const patient3 = await buildAppointment(nodeA, { slot: slot3, patientId: patient.patientId! });
    const other10 = await buildAppointment(nodeA, { slot: slot10, patientId: otherPatient.patientId! });
    await buildAppointment(nodeA, { slot: slotCancelled, patientId: patient.patientId!, status: "cancelled" });

    const pub = await listen(nodeA, otherPatient.token, sockets);
    const slots = (await subscribe(pub.socket, `slots:${d}`)) as { ok: true; snapshot: { doctorId: string; slots: Record<string, unknown>[] } };
    expect(slots.snapshot.doctorId).toBe(d);
    // The cancelled appointment's slot is free again; the booked one in 3 days is listed as booked;
    // walk-in slots, those already started and next week's are not shown.
    expect(slots.snapshot.slots.map((s) => [s.slotId, s.status, s.holdExpiresAt])).toEqual([
      [slotCancelled.id, "available", null],
      [available.id, "available", null],
      [heldLive.id, "held", heldLive.holdExpiresAt!.toISOString()],
      [heldLapsed.id, "available", null],
      [slot3.id, "booked", null],
    ]);
    for (const s of slots.snapshot.slots) {
      expect(Object.keys(s).sort()).toEqual(["clinicId", "doctorId", "end", "holdExpiresAt", "kind", "slotId", "start", "status", "version"]);
    }

    const ids = (ack: unknown) => (ack as { snapshot: { appointments: { appointmentId: string }[] } }).snapshot.appointments.map((a) => a.appointmentId);
    const doc = await listen(nodeB, snapDoctor.token, sockets);
    const doctorAck = await subscribe(doc.socket, `doctor:${d}`);
    expect(ids(doctorAck)).toEqual([patientNow.id, patient3.id]);
    expect((doctorAck as { snapshot: { appointments: unknown[] } }).snapshot.appointments[0]).toEqual({
      ...appointmentChange(patientNow, patient.user.id, "x"),
      cause: undefined,
    });

    const staff = await listen(nodeA, reception.token, sockets);
    expect(ids(await subscribe(staff.socket, `clinic:${clinicId}`))).toContain(patientNow.id);
    expect(ids(await subscribe(staff.socket, `clinic:${clinicId}`))).not.toContain(patient3.id);

    const mine = await listen(nodeB, patient.token, sockets);
    const meAck = await subscribe(mine.socket, "me");
    expect(meAck).toMatchObject({ ok: true, topic: `me:${patient.user.id}` });
    expect(ids(meAck)).toEqual(expect.arrayContaining([patientNow.id, patient3.id]));
    expect(ids(meAck)).not.toContain(other10.id);
    const theirs = await listen(nodeB, otherPatient.token, sockets);
    expect(ids(await subscribe(theirs.socket, "me"))).toEqual([other10.id]);
  });

  it("a publish that fails is retried until it is delivered, in order, and never reaches the writer", async () => {
    const slot = await buildSlot(nodeA, { doctorId: doctor.doctorId!, clinicId, start: freshStart() });
    const watcher = await listen(nodeB, reception.token, sockets);
    await subscribe(watcher.socket, `clinic:${clinicId}`);
    const change = await transition(nodeA, slot, "held", "held", new Date(Date.now() + 60_000));
    // Redis refuses every publish for a while: the write still commits; the outbox keeps the event owed.
    const { events } = nodeA.runtime;
    const publish = events.publish.bind(events);
    const publishAll = events.publishAll.bind(events);
    let down = true;
    events.publish = async (topic, type, data) => {
      if (down) throw new Error("redis down");
      return publish(topic, type, data);
    };
    events.publishAll = async (messages) => {
      if (down) throw new Error("redis down");
      return publishAll(messages);
    };
    try {
      await publishChanges(nodeA, { slots: [change] });
      expect(watcher.of(`clinic:${clinicId}`)).toEqual([]);
      const [owed] = await nodeA.runtime.orm.em.fork().getConnection().execute<{ pending: string[]; delivered_at: Date | null }[]>(
        `select pending, delivered_at from domain_event where data->>'slotId' = ? order by id desc limit 1`,
        [slot.id],
      );
      expect(owed).toEqual({ pending: ["slot-realtime"], delivered_at: null });
      down = false;
      await nodeA.runtime.orm.em.fork().getConnection().execute(`update domain_event set next_attempt_at = now() where data->>'slotId' = ?`, [slot.id]);
      await nodeA.runtime.outbox.sweep();
      await settle(() => watcher.of(`clinic:${clinicId}`).length === 1);
      expect(watcher.of(`clinic:${clinicId}`).map((event) => event.type)).toEqual(["slot.held"]);
    } finally {
      events.publish = publish;
      events.publishAll = publishAll;
    }
  });
});
