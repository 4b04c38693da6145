/**
 * A handover moves the visit (real PostgreSQL, Redis and socket.io clients): reassigning a queue
 * entry gives its appointment to the receiving doctor, in a free slot of theirs at that time or
 * else in an overbooked slot made for it; the old place is freed; the audit names both doctors,
 * the reason and the slots; both doctors' topics and the patient's `me` hear it; two receptionists
 * reassigning at once leave the visit with exactly one doctor.
 */
import type { Socket } from "socket.io-client";
import { afterEach, describe, expect, it } from "vitest";
import { appointmentChangeSchema, doctorSnapshotSchema, queueEntryViewSchema, type QueueEntryView } from "@clinic/shared";
import { listen, settle, subscribe, useApp } from "../support/harness";
import { buildAppointmentFromNow, buildDoctor, buildMiddayClinic, buildNamedPatient, buildPerson, buildSlotFromNow, type TestPerson } from "../support/factories";
import { act, staffCheckIn, walkIn } from "../support/api";
import { query } from "../support/db";

type Doctor = TestPerson & { doctorId: string };

interface AppointmentRow {
  doctor_id: string;
  slot_id: string | null;
  elastic_allocation_id: string | null;
  starts_at: Date;
  ends_at: Date;
  status: string;
  version: number;
}
interface SlotRow {
  doctor_id: string;
  status: string;
  overbooked: boolean;
  overbook_reason: string | null;
  overbooked_by_id: string | null;
  starts_at: Date;
  ends_at: Date;
  version: number;
}

describe("queue handover", () => {
  const app = useApp();
  const sockets: Socket[] = [];
  afterEach(() => {
    for (const socket of sockets.splice(0)) socket.disconnect();
  });

  const appointmentRow = async (id: string) =>
    (await query<AppointmentRow>(app, `select doctor_id, slot_id, elastic_allocation_id, starts_at, ends_at, status, version from appointment where id = ?`, [id]))[0]!;
  const slotRow = async (id: string) =>
    (await query<SlotRow>(app, `select doctor_id, status, overbooked, overbook_reason, overbooked_by_id, starts_at, ends_at, version from slot where id = ?`, [id]))[0]!;
  const handovers = (entryId: string) =>
    query<{ after: Record<string, unknown> }>(app, `select after from audit_event where action = 'queue.handover' and entity_id = ? order by id`, [entryId]);

  /** A clinic with two doctors and a receptionist. */
  async function clinicOfTwo() {
    const clinic = await buildMiddayClinic(app);
    const [from, to] = [await buildDoctor(app, [clinic.id]), await buildDoctor(app, [clinic.id])];
    const reception = await buildPerson(app, "receptionist", { clinicIds: [clinic.id] });
    return { clinic, from, to, reception };
  }

  /** A patient of `doctor` `fromNowMinutes` ahead, checked in: the entry, its appointment and slot. */
  async function checkedIn(clinicId: string, doctor: Doctor, reception: TestPerson, fromNowMinutes: number) {
    const patient = await buildNamedPatient(app);
    const appointmentId = (await buildAppointmentFromNow(app, { doctorId: doctor.doctorId, clinicId, patientId: patient.patientId, fromNowMinutes })).id;
    const reply = await staffCheckIn(app, reception, clinicId, appointmentId);
    expect(reply.status).toBe(201);
    const slotId = (await appointmentRow(appointmentId)).slot_id!;
    return { patient, appointmentId, slotId, entry: queueEntryViewSchema.parse(reply.body) };
  }

  it("moves the appointment into the receiving doctor's free slot at that time: the same start first, else the nearest", async () => {
    const { clinic, from, to, reception } = await clinicOfTwo();
    const visit = await checkedIn(clinic.id, from, reception, 30);
    // The receiving doctor at that time: a booked slot, a free walk-in slot (walk-in capacity, not
    // for booked visits), free regular slots starting 6 and 10 minutes off, and one not overlapping.
    const taken = (await buildSlotFromNow(app, { doctorId: to.doctorId, clinicId: clinic.id, fromNowMinutes: 30, status: "booked" })).id;
    const walkInSlot = (await buildSlotFromNow(app, { doctorId: to.doctorId, clinicId: clinic.id, fromNowMinutes: 30, kind: "walk_in" })).id;
    const nearest = (await buildSlotFromNow(app, { doctorId: to.doctorId, clinicId: clinic.id, fromNowMinutes: 24 })).id;
    const farther = (await buildSlotFromNow(app, { doctorId: to.doctorId, clinicId: clinic.id, fromNowMinutes: 40 })).id;
    const later = (await buildSlotFromNow(app, { doctorId: to.doctorId, clinicId: clinic.id, fromNowMinutes: 45 })).id;

    const reply = await act(app, reception, visit.entry.id, "reassign", { version: visit.entry.version, doctorId: to.doctorId, reason: "Dr From called to theatre" });
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ doctorId: to.doctorId, status: "waiting", appointmentId: visit.appointmentId, version: visit.entry.version + 1 });

    const appointment = await appointmentRow(visit.appointmentId);
    const slot = await slotRow(nearest);
    expect(appointment).toMatchObject({ doctor_id: to.doctorId, slot_id: nearest, status: "checked_in" });
    // The visit takes the slot's times.
    expect([appointment.starts_at, appointment.ends_at]).toEqual([slot.starts_at, slot.ends_at]);
    expect(reply.body.appointmentStart).toBe(new Date(slot.starts_at).toISOString());
    expect(slot).toMatchObject({ doctor_id: to.doctorId, status: "booked", version: 2 });
    expect((await slotRow(visit.slotId)).status).toBe("available");
    for (const untouched of [taken, walkInSlot, farther, later]) expect((await slotRow(untouched)).version).toBe(1);

    const [audit] = await handovers(visit.entry.id);
    expect(audit!.after).toMatchObject({
      fromDoctorId: from.doctorId,
      toDoctorId: to.doctorId,
      reason: "Dr From called to theatre",
      appointment: { appointmentId: visit.appointmentId, fromSlotId: visit.slotId, toSlotId: nearest, overbooked: false },
    });

    // A free slot with the same start wins over a nearer-looking one.
    const second = await checkedIn(clinic.id, from, reception, 90);
    const sameStart = (await buildSlotFromNow(app, { doctorId: to.doctorId, clinicId: clinic.id, fromNowMinutes: 90 })).id;
    await buildSlotFromNow(app, { doctorId: to.doctorId, clinicId: clinic.id, fromNowMinutes: 89 });
    expect((await act(app, reception, second.entry.id, "reassign", { version: second.entry.version, doctorId: to.doctorId })).status).toBe(200);
    expect(await appointmentRow(second.appointmentId)).toMatchObject({ doctor_id: to.doctorId, slot_id: sameStart });
  });

  it("a paid visit's wallet share goes with it to the receiving doctor", async () => {
    const { clinic, from, to, reception } = await clinicOfTwo();
    const visit = await checkedIn(clinic.id, from, reception, 50);
    // The doctor's share of a paid visit, as the payment webhook credits it.
    await query(app, `insert into wallet_entry (doctor_id, kind, amount_minor, currency, appointment_id) values (?, 'credit', 4500, 'GBP', ?)`, [from.doctorId, visit.appointmentId]);
    expect((await act(app, reception, visit.entry.id, "reassign", { version: visit.entry.version, doctorId: to.doctorId, reason: "Dr From is running very late" })).status).toBe(200);
    const ledger = await query<{ doctor_id: string; kind: string; amount_minor: number }>(
      app,
      `select doctor_id, kind, amount_minor from wallet_entry where appointment_id = ? order by created_at, kind`,
      [visit.appointmentId],
    );
    expect(ledger).toEqual([
      { doctor_id: from.doctorId, kind: "credit", amount_minor: 4500 },
      { doctor_id: to.doctorId, kind: "credit", amount_minor: 4500 },
      { doctor_id: from.doctorId, kind: "debit", amount_minor: 4500 },
    ]);
  });

  it("without a free slot of the receiving doctor the visit becomes an overbooked visit at theirs, with the handover's reason", async () => {
    const { clinic, from, to, reception } = await clinicOfTwo();
    const visit = await checkedIn(clinic.id, from, reception, 20);
    // The receiving doctor is booked then, on an ordinary (not overbooked) slot.
    const busy = (await buildSlotFromNow(app, { doctorId: to.doctorId, clinicId: clinic.id, fromNowMinutes: 20, status: "booked" })).id;
    await query(app, `update slot set overbooked = false where id = ?`, [busy]);
    const before = await appointmentRow(visit.appointmentId);

    const reply = await act(app, reception, visit.entry.id, "reassign", { version: visit.entry.version, doctorId: to.doctorId, reason: "Dr From went home ill" });
    expect(reply.status).toBe(200);
    const appointment = await appointmentRow(visit.appointmentId);
    expect(appointment).toMatchObject({ doctor_id: to.doctorId, status: "checked_in", version: before.version + 1 });
    expect(appointment.slot_id).not.toBe(visit.slotId);
    const made = await slotRow(appointment.slot_id!);
    expect(made).toMatchObject({ doctor_id: to.doctorId, status: "booked", overbooked: true, overbook_reason: "Dr From went home ill", overbooked_by_id: reception.user.id });
    // It keeps the visit's times.
    expect([made.starts_at, made.ends_at]).toEqual([before.starts_at, before.ends_at]);
    expect((await slotRow(visit.slotId)).status).toBe("available");
    expect((await slotRow(busy)).status).toBe("booked");

    const [audit] = await handovers(visit.entry.id);
    expect(audit!.after).toMatchObject({
      fromDoctorId: from.doctorId,
      toDoctorId: to.doctorId,
      reason: "Dr From went home ill",
      appointment: { appointmentId: visit.appointmentId, fromSlotId: visit.slotId, toSlotId: appointment.slot_id, overbooked: true },
    });
  });

  it("an elastic booking leaves its block (the later booking moves up) and takes a slot at the receiving doctor", async () => {
    const { clinic, from, to, reception } = await clinicOfTwo();
    const [ours, theirs] = await Promise.all([buildNamedPatient(app), buildNamedPatient(app)]);
    // A 60-minute block of the first doctor that began 5 minutes ago: ours first (20 min), then theirs.
    const [block] = await query<{ id: string; starts_at: Date }>(
      app,
      `insert into elastic_block (id, doctor_id, clinic_id, starts_at, ends_at, capacity_minutes, version, created_at, updated_at)
       values (gen_random_uuid(), ?, ?, date_trunc('minute', now()) - interval '5 minutes', date_trunc('minute', now()) + interval '55 minutes', 60, 1, now(), now())
       returning id, starts_at`,
      [from.doctorId, clinic.id],
    );
    const book = async (patientId: string, position: number) => {
      const [row] = await query<{ id: string }>(
        app,
        `with al as (
           insert into elastic_allocation (id, block_id, patient_id, duration_minutes, position, expected_start_at, status, created_at, updated_at)
           values (gen_random_uuid(), ?, ?, 20, ?, ?::timestamptz + make_interval(mins => 20 * ?), 'confirmed', now(), now()) returning id, expected_start_at)
         insert into appointment (id, elastic_allocation_id, patient_id, doctor_id, clinic_id, starts_at, ends_at, status, payment_status, fee_minor, transaction_fee_minor, currency, version, created_at, updated_at)
         select gen_random_uuid(), al.id, ?, ?, ?, al.expected_start_at, al.expected_start_at + interval '20 minutes', 'scheduled', 'not_required', 0, 0, 'GBP', 1, now(), now() from al
         returning id`,
        [block!.id, patientId, position, block!.starts_at, position, patientId, from.doctorId, clinic.id],
      );
      return row!.id;
    };
    const ourAppointment = await book(ours.patientId, 0);
    const theirAppointment = await book(theirs.patientId, 1);
    const { elastic_allocation_id: allocationId } = await appointmentRow(ourAppointment);
    const checkIn = await staffCheckIn(app, reception, clinic.id, ourAppointment);
    expect(checkIn.status).toBe(201);

    const reply = await act(app, reception, checkIn.body.id, "reassign", { version: checkIn.body.version, doctorId: to.doctorId, reason: "Dr From called away" });
    expect(reply.status).toBe(200);
    const moved = await appointmentRow(ourAppointment);
    expect(moved).toMatchObject({ doctor_id: to.doctorId, elastic_allocation_id: null });
    expect((await slotRow(moved.slot_id!)).doctor_id).toBe(to.doctorId);
    const [allocation] = await query<{ status: string }>(app, `select status from elastic_allocation where id = ?`, [allocationId]);
    expect(allocation!.status).toBe("freed");
    // The next booking of the block moved up into the freed place.
    expect((await appointmentRow(theirAppointment)).starts_at).toEqual(block!.starts_at);
    const [audit] = await handovers(checkIn.body.id);
    expect(audit!.after).toMatchObject({ appointment: { fromSlotId: null, fromElasticAllocationId: allocationId, toSlotId: moved.slot_id, overbooked: true } });
  });

  it("both doctors' topics and the patient's me hear the appointment change; the old doctor's snapshot no longer has the visit", async () => {
    const { clinic, from, to, reception } = await clinicOfTwo();
    const visit = await checkedIn(clinic.id, from, reception, 45);
    const free = (await buildSlotFromNow(app, { doctorId: to.doctorId, clinicId: clinic.id, fromNowMinutes: 45 })).id;
    const [oldDoctor, newDoctor, patient] = await Promise.all([listen(app, from.token, sockets), listen(app, to.token, sockets), listen(app, visit.patient.token, sockets)]);
    const fromTopic = `doctor:${from.doctorId}`;
    const toTopic = `doctor:${to.doctorId}`;
    const before = doctorSnapshotSchema.parse(((await subscribe(oldDoctor.socket, fromTopic)) as { snapshot: unknown }).snapshot);
    expect(before.appointments.map((a) => a.appointmentId)).toContain(visit.appointmentId);
    expect((await subscribe(newDoctor.socket, toTopic)).ok).toBe(true);
    const meAck = await subscribe(patient.socket, "me");
    expect(meAck.ok).toBe(true);
    const meTopic = (meAck as { topic: string }).topic;

    const reply = await act(app, reception, visit.entry.id, "reassign", { version: visit.entry.version, doctorId: to.doctorId, reason: "Dr From called away" });
    expect(reply.status).toBe(200);

    const handedOver = (events: { type: string; data: unknown }[]) => events.find((event) => event.type === "appointment.handed_over");
    const heard = [oldDoctor.of(fromTopic), newDoctor.of(toTopic), patient.of(meTopic)];
    await settle(() => heard.every((events) => handedOver(events) !== undefined));
    for (const events of [oldDoctor.of(fromTopic), newDoctor.of(toTopic), patient.of(meTopic)]) {
      const change = appointmentChangeSchema.parse(handedOver(events)!.data);
      expect(change).toMatchObject({ appointmentId: visit.appointmentId, doctorId: to.doctorId, previousDoctorId: from.doctorId, slotId: free, status: "checked_in", cause: "handed_over" });
    }
    // Both doctors' queues hear the entry move too.
    await settle(() => [oldDoctor.of(fromTopic), newDoctor.of(toTopic)].every((events) => events.some((event) => event.type === "queue.reassigned")));
    const entryEvent = newDoctor.of(toTopic).find((event) => event.type === "queue.reassigned")!;
    expect((entryEvent.data as QueueEntryView).doctorId).toBe(to.doctorId);

    // A screen that resubscribes: the visit is gone from the old doctor's day and is on the new one's.
    const [oldAgain, newAgain] = await Promise.all([listen(app, from.token, sockets), listen(app, to.token, sockets)]);
    const oldSnapshot = doctorSnapshotSchema.parse(((await subscribe(oldAgain.socket, fromTopic)) as { snapshot: unknown }).snapshot);
    const newSnapshot = doctorSnapshotSchema.parse(((await subscribe(newAgain.socket, toTopic)) as { snapshot: unknown }).snapshot);
    expect(oldSnapshot.appointments.map((a) => a.appointmentId)).not.toContain(visit.appointmentId);
    expect(newSnapshot.appointments.find((a) => a.appointmentId === visit.appointmentId)).toMatchObject({ doctorId: to.doctorId, slotId: free });
  });

  it("two receptionists handing one entry to different doctors at once: one wins, the other gets 409 VERSION_CONFLICT, the visit ends at exactly one doctor", async () => {
    const clinic = await buildMiddayClinic(app);
    const [from, left, right] = [await buildDoctor(app, [clinic.id]), await buildDoctor(app, [clinic.id]), await buildDoctor(app, [clinic.id])];
    const [r1, r2] = await Promise.all([
      buildPerson(app, "receptionist", { clinicIds: [clinic.id] }),
      buildPerson(app, "receptionist", { clinicIds: [clinic.id] }),
    ]);
    const slotsOf = async (doctorId: string) => (await query<{ id: string }>(app, `select id from slot where doctor_id = ? and status = 'booked'`, [doctorId])).map((row) => row.id);
    for (let round = 0; round < 5; round++) {
      const visit = await checkedIn(clinic.id, from, r1, 5 + round * 20);
      // One receiving doctor has a free slot then, the other has not (an overbooked visit would be made).
      const free = (await buildSlotFromNow(app, { doctorId: left.doctorId, clinicId: clinic.id, fromNowMinutes: 5 + round * 20 })).id;
      const [leftBefore, rightBefore] = [await slotsOf(left.doctorId), await slotsOf(right.doctorId)];
      const replies = await Promise.all([
        act(app, r1, visit.entry.id, "reassign", { version: visit.entry.version, doctorId: left.doctorId, reason: "Desk 1" }),
        act(app, r2, visit.entry.id, "reassign", { version: visit.entry.version, doctorId: right.doctorId, reason: "Desk 2" }),
      ]);
      expect(replies.map((reply) => reply.status).sort()).toEqual([200, 409]);
      const loser = replies.find((reply) => reply.status === 409)!;
      expect([loser.body.code, loser.body.currentVersion]).toEqual(["VERSION_CONFLICT", visit.entry.version + 1]);
      const winner = queueEntryViewSchema.parse(replies.find((reply) => reply.status === 200)!.body);

      const appointment = await appointmentRow(visit.appointmentId);
      const [entry] = await query<{ doctor_id: string }>(app, `select doctor_id from queue_entry where id = ?`, [visit.entry.id]);
      expect([appointment.doctor_id, entry!.doctor_id]).toEqual([winner.doctorId, winner.doctorId]);
      expect((await slotRow(appointment.slot_id!)).doctor_id).toBe(winner.doctorId);
      // Exactly one new booked slot, at the winner; the loser's doctor gained nothing.
      const [leftAfter, rightAfter] = [await slotsOf(left.doctorId), await slotsOf(right.doctorId)];
      if (winner.doctorId === left.doctorId) {
        expect(appointment.slot_id).toBe(free);
        expect([leftAfter.length - leftBefore.length, rightAfter]).toEqual([1, rightBefore]);
      } else {
        expect([rightAfter.length - rightBefore.length, leftAfter, (await slotRow(free)).status]).toEqual([1, leftBefore, "available"]);
      }
      expect((await slotRow(visit.slotId)).status).toBe("available");
      expect(await handovers(visit.entry.id)).toHaveLength(1);
    }
  });

  it("a walk-in without an appointment is handed over as before: only the entry moves", async () => {
    const { clinic, from, to, reception } = await clinicOfTwo();
    const walkInSlot = (await buildSlotFromNow(app, { doctorId: from.doctorId, clinicId: clinic.id, fromNowMinutes: 10, kind: "walk_in" })).id;
    const patient = await buildNamedPatient(app);
    const registered = await walkIn(app, reception, clinic.id, { patientId: patient.patientId, doctorId: from.doctorId });
    expect([registered.status, registered.body.slotId]).toEqual([201, walkInSlot]);
    const slotsBefore = await query(app, `select id, status, version from slot where doctor_id in (?, ?) order by id`, [from.doctorId, to.doctorId]);

    const reply = await act(app, reception, registered.body.id, "reassign", { version: registered.body.version, doctorId: to.doctorId });
    expect(reply.body).toMatchObject({ doctorId: to.doctorId, appointmentId: null, slotId: walkInSlot });
    expect(await query(app, `select id, status, version from slot where doctor_id in (?, ?) order by id`, [from.doctorId, to.doctorId])).toEqual(slotsBefore);
    const [audit] = await handovers(registered.body.id);
    expect(audit!.after).toMatchObject({ fromDoctorId: from.doctorId, toDoctorId: to.doctorId, reason: null, appointment: null });
  });

  it("refuses bad input with a 4xx naming the field and writes nothing", async () => {
    const { clinic, from, reception } = await clinicOfTwo();
    const elsewhere = await buildDoctor(app, [(await buildMiddayClinic(app)).id]);
    const visit = await checkedIn(clinic.id, from, reception, 15);
    const before = await appointmentRow(visit.appointmentId);
    const attempts: [body: Record<string, unknown>, status: number, field: string][] = [
      [{ version: visit.entry.version, doctorId: "someone" }, 400, "body.doctorId"],
      [{ version: visit.entry.version, doctorId: elsewhere.doctorId, reason: "x".repeat(501) }, 400, "body.reason"],
      [{ version: visit.entry.version, doctorId: elsewhere.doctorId }, 422, "body.doctorId"],
      [{ version: visit.entry.version, doctorId: from.doctorId }, 422, "body.doctorId"],
    ];
    for (const [body, status, field] of attempts) {
      const reply = await act(app, reception, visit.entry.id, "reassign", body);
      expect(reply.status).toBe(status);
      expect(JSON.stringify(reply.body)).toContain(field);
    }
    expect(await appointmentRow(visit.appointmentId)).toEqual(before);
    expect(await handovers(visit.entry.id)).toEqual([]);
  });
});
