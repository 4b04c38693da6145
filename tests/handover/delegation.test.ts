/**
 * Handing a date range of a doctor's appointments to a colleague (real PostgreSQL, Redis and
 * socket.io clients; docs/handover.md): the preview says for each visit whether the receiving
 * doctor has a free slot starting then, may be overbooked under the clinic's policy and cap, or
 * not (busy, away, a hold, already in the queue), and writes nothing; the apply moves exactly what
 * the preview promised, audits each move with both doctors and the reason, tells the patients and
 * the receiving doctor, and both doctors' topics hear it. Two handovers of one range at once move
 * each visit once; a handover racing a patient for the receiving doctor's slot leaves one winner.
 */
import type { Socket } from "socket.io-client";
import { afterEach, describe, expect, it } from "vitest";
import { addDays, appointmentChangeSchema, handoverPreviewSchema, handoverReplySchema } from "@clinic/shared";
import { listen, settle, subscribe, useApp } from "../support/harness";
import { buildAppointment, buildClinic, buildDoctor, buildNamedPatient, buildPatient, buildPerson, buildSlots, type TestPerson } from "../support/factories";
import { call, hold } from "../support/api";
import { query } from "../support/db";
import { at, dayFromNow } from "../support/dates";

type Doctor = TestPerson & { doctorId: string };

describe("handover of a date range", () => {
  const app = useApp();
  const sockets: Socket[] = [];
  afterEach(() => {
    for (const socket of sockets.splice(0)) socket.disconnect();
  });
  const day = dayFromNow(6);

  const appointmentRow = async (id: string) =>
    (await query<{ doctor_id: string; slot_id: string; status: string; version: number }>(app, `select doctor_id, slot_id, status, version from appointment where id = ?`, [id]))[0]!;
  const slotRow = async (id: string) =>
    (await query<{ doctor_id: string; status: string; overbooked: boolean; overbook_reason: string | null }>(app, `select doctor_id, status, overbooked, overbook_reason from slot where id = ?`, [id]))[0]!;

  /** A clinic with two doctors, its admin and a receptionist; the giving doctor booked 09:00–10:00 (four visits). */
  async function bookedMorning() {
    const clinic = await buildClinic(app);
    const [from, to] = [await buildDoctor(app, [clinic.id]), await buildDoctor(app, [clinic.id])];
    const admin = await buildPerson(app, "clinic_admin", { clinicIds: [clinic.id] });
    const reception = await buildPerson(app, "receptionist", { clinicIds: [clinic.id] });
    const slots = await buildSlots(app, { doctorId: from.doctorId, clinicId: clinic.id, count: 4, date: day, from: "09:00", status: "booked" });
    const visits: { id: string; slotId: string; patient: Awaited<ReturnType<typeof buildNamedPatient>> }[] = [];
    for (const slot of slots) {
      const patient = await buildNamedPatient(app);
      visits.push({ id: (await buildAppointment(app, { slot, patientId: patient.patientId })).id, slotId: slot.id, patient });
    }
    return { clinic, from, to, admin, reception, visits };
  }

  const range = (from: Doctor, to: Doctor, extra: Record<string, unknown> = {}) => ({ fromDoctorId: from.doctorId, toDoctorId: to.doctorId, fromDate: day, toDate: day, ...extra });

  it("previews each visit's outcome without writing, and the apply does exactly that: free slots taken, overbooked under the cap, the rest stay", async () => {
    const { clinic, from, to, admin, visits } = await bookedMorning();
    // The receiving doctor: free at 09:00, booked at 09:15, no slot at 09:30 or 09:45.
    const [free09] = await buildSlots(app, { doctorId: to.doctorId, clinicId: clinic.id, count: 1, date: day, from: "09:00" });
    await buildSlots(app, { doctorId: to.doctorId, clinicId: clinic.id, count: 1, date: day, from: "09:15", status: "booked" });
    // The clinic allows one overbooked slot a day for them.
    const policy = await call(app, admin, "POST", `/clinics/${clinic.id}/overbooking-policies`, { doctorId: to.doctorId, capPerDay: 1, reason: "Busy list" });
    expect(policy.status).toBe(201);

    const preview = await call(app, admin, "POST", `/clinics/${clinic.id}/handovers/preview`, range(from, to));
    expect(preview.status).toBe(200);
    const items = handoverPreviewSchema.parse(preview.body).items;
    expect(items.map((item) => [item.appointmentId, item.outcome])).toEqual([
      [visits[0]!.id, "free"],
      [visits[1]!.id, "overbook"],
      [visits[2]!.id, "stays"],
      [visits[3]!.id, "stays"],
    ]);
    expect(items[0]!.patientName).toBe(visits[0]!.patient.name);
    expect(items[2]!.note).toMatch(/overbooking cap for the day \(1\) is reached/);
    // Nothing was written.
    for (const visit of visits) expect(await appointmentRow(visit.id)).toMatchObject({ doctor_id: from.doctorId, version: 1 });
    expect((await slotRow(free09!.id)).status).toBe("available");

    const applied = await call(app, admin, "POST", `/clinics/${clinic.id}/handovers`, range(from, to, { reason: "Dr From on a course" }));
    expect(applied.status).toBe(200);
    const reply = handoverReplySchema.parse(applied.body);
    expect([reply.moved, reply.stayed]).toEqual([2, 2]);
    expect(reply.items.map((item) => item.outcome)).toEqual(items.map((item) => item.outcome));

    const first = await appointmentRow(visits[0]!.id);
    expect(first).toMatchObject({ doctor_id: to.doctorId, slot_id: free09!.id, status: "scheduled", version: 2 });
    expect(await slotRow(free09!.id)).toMatchObject({ status: "booked", overbooked: false });
    const second = await appointmentRow(visits[1]!.id);
    expect(second.doctor_id).toBe(to.doctorId);
    expect(await slotRow(second.slot_id)).toMatchObject({ doctor_id: to.doctorId, status: "booked", overbooked: true, overbook_reason: "Handover: Dr From on a course" });
    // The giving doctor's old slots are free again; the ones that stayed are untouched.
    for (const visit of visits.slice(0, 2)) expect((await slotRow(visit.slotId)).status).toBe("available");
    for (const visit of visits.slice(2)) expect(await appointmentRow(visit.id)).toMatchObject({ doctor_id: from.doctorId, slot_id: visit.slotId, version: 1 });

    // Audited with both doctors and the reason, once per moved visit.
    const audits = await query<{ entity_id: string; before: Record<string, unknown>; after: Record<string, unknown> }>(
      app,
      `select entity_id, before, after from audit_event where action = 'booking.appointment.handover' and clinic_id = ? order by entity_id`,
      [clinic.id],
    );
    expect(audits.map((a) => a.entity_id).sort()).toEqual([visits[0]!.id, visits[1]!.id].sort());
    for (const audit of audits) {
      expect(audit.before).toMatchObject({ doctorId: from.doctorId });
      expect(audit.after).toMatchObject({ doctorId: to.doctorId, reason: "Dr From on a course" });
    }

    // The moved patients are told their new doctor; the receiving doctor is told what they got.
    const told = await query<{ user_id: string; payload: Record<string, string> }>(
      app,
      `select user_id, payload from notification_outbox where template = 'booking.handed-over' and channel = 'in_app' and payload->>'appointmentId' = any(?::text[])`,
      [`{${visits.map((v) => v.id).join(",")}}`],
    );
    expect(told.map((row) => row.user_id).sort()).toEqual([visits[0]!.patient.user.id, visits[1]!.patient.user.id].sort());
    expect(told[0]!.payload).toMatchObject({ doctor: to.user.displayName, previousDoctor: from.user.displayName, reason: "Dr From on a course" });
    const doctorNotice = await query<{ payload: Record<string, string> }>(
      app,
      `select payload from notification_outbox where template = 'booking.doctor-handed-over' and channel = 'in_app' and user_id = ?`,
      [to.user.id],
    );
    expect(doctorNotice.map((row) => row.payload.count)).toEqual(["2"]);
  });

  it("holds, patients already in the queue, and times the receiving doctor is away stay, each saying why; without a policy nothing is overbooked", async () => {
    const { clinic, from, to, admin, reception, visits } = await bookedMorning();
    await query(app, `update appointment set status = 'pending', hold_expires_at = now() + interval '10 minutes' where id = ?`, [visits[0]!.id]);
    await query(app, `update appointment set status = 'checked_in' where id = ?`, [visits[1]!.id]);
    // Away 09:30–09:45 (on leave), free at 09:30 and busy at 09:45, no overbooking policy.
    await buildSlots(app, { doctorId: to.doctorId, clinicId: clinic.id, count: 1, date: day, from: "09:30" });
    await buildSlots(app, { doctorId: to.doctorId, clinicId: clinic.id, count: 1, date: day, from: "09:45", status: "booked" });
    await query(app, `insert into unavailability (id, doctor_id, kind, starts_at, ends_at, created_at) values (gen_random_uuid(), ?, 'vacation', ?, ?, now())`, [
      to.doctorId,
      at(day, "09:30"),
      at(day, "09:45"),
    ]);

    const preview = await call(app, reception, "POST", `/clinics/${clinic.id}/handovers/preview`, range(from, to));
    expect(preview.status).toBe(403);
    const reply = await call(app, admin, "POST", `/clinics/${clinic.id}/handovers`, range(from, to, { reason: "Dr From unwell" }));
    expect(reply.status).toBe(200);
    const { items, moved } = handoverReplySchema.parse(reply.body);
    expect(moved).toBe(0);
    expect(items.map((item) => [item.status, item.outcome])).toEqual([
      ["pending", "stays"],
      ["checked_in", "stays"],
      ["scheduled", "stays"],
      ["scheduled", "stays"],
    ]);
    expect(items.map((item) => item.note)).toEqual([
      expect.stringMatching(/unpaid hold/),
      expect.stringMatching(/reassign them on the reception board/),
      expect.stringMatching(/is away then/),
      expect.stringMatching(/allows no overbooking/),
    ]);
    for (const visit of visits) expect((await appointmentRow(visit.id)).doctor_id).toBe(from.doctorId);
    expect(await query(app, `select 1 from notification_outbox where template = 'booking.doctor-handed-over' and user_id = ?`, [to.user.id])).toEqual([]);
  });

  it("the doctor hands their own day over; a colleague cannot hand it for them; bad input names the field and writes nothing", async () => {
    const { clinic, from, to, visits } = await bookedMorning();
    const elsewhere = await buildDoctor(app, [(await buildClinic(app)).id]);
    await buildSlots(app, { doctorId: to.doctorId, clinicId: clinic.id, count: 4, date: day, from: "09:00" });

    expect((await call(app, to, "POST", `/clinics/${clinic.id}/handovers`, range(from, to, { reason: "Taking over" }))).status).toBe(403);
    const cases: [Record<string, unknown>, number, string][] = [
      [range(from, from, { reason: "x-ray" }), 400, "toDoctorId"],
      [range(from, to, { reason: "x-ray", toDate: addDays(day, -1) }), 400, "toDate"],
      [range(from, to, { reason: "x-ray", toDate: addDays(day, 31) }), 400, "toDate"],
      [range(from, to, { reason: "" }), 400, "reason"],
      [range(from, elsewhere, { reason: "x-ray" }), 422, "toDoctorId"],
    ];
    for (const [body, status, field] of cases) {
      const reply = await call(app, from, "POST", `/clinics/${clinic.id}/handovers`, body);
      expect(reply.status, JSON.stringify(body)).toBe(status);
      expect(JSON.stringify(reply.body)).toContain(field);
    }
    for (const visit of visits) expect((await appointmentRow(visit.id)).version).toBe(1);

    const own = await call(app, from, "POST", `/clinics/${clinic.id}/handovers`, range(from, to, { reason: "Conference" }));
    expect(own.status).toBe(200);
    expect(own.body.moved).toBe(4);
  });

  it("both doctors' topics and the patient's me hear appointment.handed_over", async () => {
    const { clinic, from, to, admin, visits } = await bookedMorning();
    await buildSlots(app, { doctorId: to.doctorId, clinicId: clinic.id, count: 1, date: day, from: "09:00" });
    const [oldDoctor, newDoctor, patient] = await Promise.all([listen(app, from.token, sockets), listen(app, to.token, sockets), listen(app, visits[0]!.patient.token, sockets)]);
    const [fromTopic, toTopic] = [`doctor:${from.doctorId}`, `doctor:${to.doctorId}`];
    expect((await subscribe(oldDoctor.socket, fromTopic)).ok).toBe(true);
    expect((await subscribe(newDoctor.socket, toTopic)).ok).toBe(true);
    const meAck = await subscribe(patient.socket, "me");
    const meTopic = (meAck as { topic: string }).topic;

    expect((await call(app, admin, "POST", `/clinics/${clinic.id}/handovers`, range(from, to, { reason: "Dr From away" }))).status).toBe(200);
    const handedOver = (events: { type: string; data: unknown }[]) => events.find((event) => event.type === "appointment.handed_over");
    await settle(() => [oldDoctor.of(fromTopic), newDoctor.of(toTopic), patient.of(meTopic)].every((events) => handedOver(events) !== undefined));
    for (const events of [oldDoctor.of(fromTopic), newDoctor.of(toTopic), patient.of(meTopic)]) {
      expect(appointmentChangeSchema.parse(handedOver(events)!.data)).toMatchObject({ appointmentId: visits[0]!.id, doctorId: to.doctorId, previousDoctorId: from.doctorId, status: "scheduled" });
    }
  });

  it("two handovers of one range at once (the admin and the doctor) move each visit once", async () => {
    const { clinic, from, to, admin, visits } = await bookedMorning();
    await buildSlots(app, { doctorId: to.doctorId, clinicId: clinic.id, count: 4, date: day, from: "09:00" });
    const replies = await Promise.all([
      call(app, admin, "POST", `/clinics/${clinic.id}/handovers`, range(from, to, { reason: "Admin" })),
      call(app, from, "POST", `/clinics/${clinic.id}/handovers`, range(from, to, { reason: "Doctor" })),
    ]);
    expect(replies.map((reply) => reply.status)).toEqual([200, 200]);
    expect(replies.map((reply) => reply.body.moved as number).sort()).toEqual([0, 4]);
    for (const visit of visits) expect(await appointmentRow(visit.id)).toMatchObject({ doctor_id: to.doctorId, version: 2 });
    const [{ n }] = (await query<{ n: string }>(app, `select count(*) n from audit_event where action = 'booking.appointment.handover' and clinic_id = ?`, [clinic.id])) as [{ n: string }];
    expect(Number(n)).toBe(4);
    const booked = await query(app, `select 1 from slot where doctor_id = ? and status = 'booked'`, [to.doctorId]);
    expect(booked).toHaveLength(4);
  });

  it("a handover racing a patient for the receiving doctor's free slot: one of them has it, never both", async () => {
    for (let round = 0; round < 4; round++) {
      const { clinic, from, to, admin, visits } = await bookedMorning();
      const [contested] = await buildSlots(app, { doctorId: to.doctorId, clinicId: clinic.id, count: 1, date: day, from: "09:00" });
      const patient = await buildPatient(app);
      const [handover, booking] = await Promise.all([
        call(app, admin, "POST", `/clinics/${clinic.id}/handovers`, range(from, to, { reason: "Race" })),
        hold(app, patient, { slotId: contested!.id }),
      ]);
      expect(handover.status).toBe(200);
      const holders = await query<{ id: string }>(app, `select id from appointment where slot_id = ? and status in ('pending', 'scheduled')`, [contested!.id]);
      expect(holders).toHaveLength(1);
      if (booking.status === 201) {
        expect(holders[0]!.id).toBe(booking.body.id);
        expect(handover.body.items[0]).toMatchObject({ appointmentId: visits[0]!.id, outcome: "stays" });
        expect((await appointmentRow(visits[0]!.id)).doctor_id).toBe(from.doctorId);
      } else {
        expect(booking.status, JSON.stringify(booking.body)).toBe(409);
        expect(holders[0]!.id).toBe(visits[0]!.id);
      }
    }
  });
});
