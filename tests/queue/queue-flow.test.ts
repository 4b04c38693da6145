/**
 * The live queue end to end (real PostgreSQL, Redis): check-in by reception and by the patient's
 * code, the call-next rule (emergencies, arrived appointments in time order, walk-ins, interleave,
 * manual ranks), doctor and reception actions moving the appointment through its state machine,
 * version conflicts between two receptionists, the handover audit, and bad input.
 */
import { describe, expect, it } from "vitest";
import { queueEntryViewSchema, queueListSchema, type QueueEntryView } from "@clinic/shared";
import { connectSocket, type TestApp, useApp } from "../support/harness";
import { buildAppointmentFromNow, buildDoctor, buildMiddayClinic, buildNamedPatient, buildPerson, buildSlotFromNow, type TestPerson } from "../support/factories";
import { act, call, callNext, staffCheckIn, startAndFinish, walkIn } from "../support/api";
import { query, statusOf } from "../support/db";

/** Makes the entry's arrival `minutesAgo` in the past (arrival order without sleeping). */
async function arrivedAgo(app: TestApp, entryId: string, minutesAgo: number): Promise<void> {
  await query(app, `update queue_entry set arrived_at = now() - make_interval(mins => ?) where id = ?`, [minutesAgo, entryId]);
}

describe("the live queue", () => {
  const app = useApp();

  it("checks in a booked appointment of today at reception: appointment checked_in, ticket A-001; twice is 409", async () => {
    const clinic = await buildMiddayClinic(app);
    const doctor = await buildDoctor(app, [clinic.id]);
    const reception = await buildPerson(app, "receptionist", { clinicIds: [clinic.id] });
    const otherReception = await buildPerson(app, "receptionist", { clinicIds: [(await buildMiddayClinic(app)).id] });
    const patient = await buildNamedPatient(app);
    const appointmentId = (await buildAppointmentFromNow(app, { doctorId: doctor.doctorId, clinicId: clinic.id, patientId: patient.patientId, fromNowMinutes: 90 })).id;

    expect((await staffCheckIn(app, otherReception, clinic.id, appointmentId)).status).toBe(403);
    const first = await staffCheckIn(app, reception, clinic.id, appointmentId);
    expect(first.status).toBe(201);
    const entry = queueEntryViewSchema.parse(first.body);
    expect(entry).toMatchObject({ ticket: "A-001", status: "waiting", kind: "appointment", doctorId: doctor.doctorId, appointmentId, patientName: patient.name, version: 1 });
    expect(await statusOf(app, "appointment", appointmentId)).toBe("checked_in");
    // A staff screen that (re)subscribes gets the queue in the clinic: and doctor: snapshots.
    const board = connectSocket(app.url, { token: reception.token });
    try {
      for (const topic of [`clinic:${clinic.id}`, `doctor:${doctor.doctorId}`]) {
        const ack = await new Promise<{ ok: boolean; snapshot: { queue: QueueEntryView[] } }>((resolve) => board.emit("subscribe", { topic }, resolve));
        expect(ack.ok).toBe(true);
        expect(ack.snapshot.queue.map((item) => [item.id, item.ticket, item.status])).toEqual([[entry.id, "A-001", "waiting"]]);
      }
    } finally {
      board.disconnect();
    }

    const again = await staffCheckIn(app, reception, clinic.id, appointmentId);
    expect(again.status).toBe(409);
    expect(again.body.code).toBe("ALREADY_CHECKED_IN");

    // While the patient is in the queue, the booking routes leave the appointment to the queue's actions.
    const cancel = await call(app, reception, "POST", `/appointments/${appointmentId}/cancel`, { reason: "changed mind" });
    expect([cancel.status, cancel.body.code, cancel.body.ticket]).toEqual([409, "IN_QUEUE", "A-001"]);
    const noShow = await call(app, reception, "POST", `/appointments/${appointmentId}/status`, { status: "no_show", reason: "gone" });
    expect([noShow.status, noShow.body.code]).toEqual([409, "IN_QUEUE"]);
    expect(await statusOf(app, "appointment", appointmentId)).toBe("checked_in");

    const bad = await call(app, reception, "POST", `/clinics/${clinic.id}/queue/check-in`, { appointmentId: "nope" });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain("body.appointmentId");
    // An appointment of another day is not today's.
    const tomorrow = (await buildAppointmentFromNow(app, { doctorId: doctor.doctorId, clinicId: clinic.id, patientId: patient.patientId, fromNowMinutes: 26 * 60 })).id;
    const notToday = await staffCheckIn(app, reception, clinic.id, tomorrow);
    expect([notToday.status, notToday.body.code, notToday.body.field]).toEqual([422, "NOT_TODAY", "body.appointmentId"]);
  });

  it("lets the patient check in with the day's clinic code within the window; a wrong code or the wrong time is refused with the reason", async () => {
    const clinic = await buildMiddayClinic(app, { checkInWindowMinutes: 30 });
    const doctor = await buildDoctor(app, [clinic.id]);
    const reception = await buildPerson(app, "receptionist", { clinicIds: [clinic.id] });
    const patient = await buildNamedPatient(app);
    const other = await buildNamedPatient(app);
    const soon = (await buildAppointmentFromNow(app, { doctorId: doctor.doctorId, clinicId: clinic.id, patientId: patient.patientId, fromNowMinutes: 20 })).id;
    const later = (await buildAppointmentFromNow(app, { doctorId: doctor.doctorId, clinicId: clinic.id, patientId: patient.patientId, fromNowMinutes: 120 })).id;
    const over = (await buildAppointmentFromNow(app, { doctorId: doctor.doctorId, clinicId: clinic.id, patientId: patient.patientId, fromNowMinutes: -40, minutes: 15 })).id;
    const late = (await buildAppointmentFromNow(app, { doctorId: doctor.doctorId, clinicId: clinic.id, patientId: other.patientId, fromNowMinutes: -10, minutes: 30 })).id;

    const display = await call(app, reception, "GET", `/clinics/${clinic.id}/display`);
    expect(display.status).toBe(200);
    const code: string = display.body.checkInCode;
    expect(code).toMatch(/^[0-9A-Z]{8}$/);
    const wrong = code === "ABCDEFGH" ? "ABCDEFGJ" : "ABCDEFGH";

    const selfCheckIn = (person: TestPerson, appointmentId: string, body: unknown) => call(app, person, "POST", `/appointments/${appointmentId}/check-in`, body);
    const badCode = await selfCheckIn(patient, soon, { code: wrong });
    expect([badCode.status, badCode.body.code, badCode.body.field]).toEqual([422, "CHECK_IN_CODE_INVALID", "body.code"]);
    const malformed = await selfCheckIn(patient, soon, { code: "12" });
    expect(malformed.status).toBe(400);
    expect(JSON.stringify(malformed.body)).toContain("body.code");
    const early = await selfCheckIn(patient, later, { code });
    expect([early.status, early.body.code, early.body.reason]).toEqual([422, "CHECK_IN_WINDOW", "too_early"]);
    const tooLate = await selfCheckIn(patient, over, { code });
    expect([tooLate.status, tooLate.body.code, tooLate.body.reason]).toEqual([422, "CHECK_IN_WINDOW", "too_late"]);
    // Someone else's appointment does not exist for this patient.
    expect((await selfCheckIn(patient, late, { code })).status).toBe(404);

    const ok = await selfCheckIn(patient, soon, { code: code.toLowerCase() });
    expect(ok.status).toBe(201);
    expect(ok.body).toMatchObject({ ticket: "A-001", status: "waiting" });
    expect(await statusOf(app, "appointment", soon)).toBe("checked_in");
    // A late arrival (started, not over) may still check in.
    const lateOk = await selfCheckIn(other, late, { code });
    expect([lateOk.status, lateOk.body.ticket]).toEqual([201, "A-002"]);
    expect((await selfCheckIn(patient, soon, { code })).status).toBe(409);
  });

  it("calls next by rule: emergencies, then arrived appointments by time, walk-ins by arrival with the interleave", async () => {
    const clinic = await buildMiddayClinic(app, { walkInInterleave: 2 });
    const doctor = await buildDoctor(app, [clinic.id]);
    const reception = await buildPerson(app, "receptionist", { clinicIds: [clinic.id] });
    for (let i = 0; i < 3; i++) await buildSlotFromNow(app, { doctorId: doctor.doctorId, clinicId: clinic.id, fromNowMinutes: 60 + i * 15, kind: "walk_in" });
    const patients = await Promise.all(Array.from({ length: 8 }, () => buildNamedPatient(app)));
    const [a1, a2, a3, a4] = await Promise.all(
      [0, 15, 30, -15].map(async (minutes, i) => (await buildAppointmentFromNow(app, { doctorId: doctor.doctorId, clinicId: clinic.id, patientId: patients[i]!.patientId, fromNowMinutes: minutes })).id),
    );
    const tickets = new Map<string, string>();
    const checkIn = async (label: string, appointmentId: string, minutesAgo: number) => {
      const reply = await staffCheckIn(app, reception, clinic.id, appointmentId);
      expect(reply.status).toBe(201);
      await arrivedAgo(app, reply.body.id, minutesAgo);
      tickets.set(reply.body.id, label);
    };
    const register = async (label: string, body: Record<string, unknown>, minutesAgo: number) => {
      const reply = await walkIn(app, reception, clinic.id, body);
      expect(reply.status).toBe(201);
      await arrivedAgo(app, reply.body.id, minutesAgo);
      tickets.set(reply.body.id, label);
      return reply.body as QueueEntryView;
    };
    // a3 arrived first, a1 last; a4's patient has not arrived (never checked in).
    await checkIn("a3", a3!, 50);
    await checkIn("a2", a2!, 40);
    await checkIn("a1", a1!, 10);
    const w1 = await register("w1", { patientId: patients[4]!.patientId, doctorId: doctor.doctorId }, 45);
    const w2 = await register("w2", { patientId: patients[5]!.patientId }, 30); // any doctor
    const e1 = await register("e1", { patientId: patients[6]!.patientId, kind: "emergency", reason: "Severe allergic reaction" }, 1);
    expect([w1.ticket, w2.ticket, e1.ticket, w2.doctorId]).toEqual(["W-001", "W-002", "E-001", null]);
    void a4;

    const order: string[] = [];
    for (;;) {
      const reply = await callNext(app, doctor, doctor.doctorId, { room: "Room 4" });
      expect(reply.status).toBe(200);
      if (reply.body.entry === null) break;
      expect(reply.body.entry).toMatchObject({ status: "called", doctorId: doctor.doctorId, room: "Room 4" });
      order.push(tickets.get(reply.body.entry.id)!);
      // One called patient per doctor: this one is seen before the next call.
      await startAndFinish(app, doctor, reply.body.entry);
    }
    // e1 first; a1, a2 by appointment time; after 2 appointment patients a walk-in (w1, earliest arrival);
    // a3; then w2 (the unassigned walk-in, now assigned to this doctor).
    expect(order).toEqual(["e1", "a1", "a2", "w1", "a3", "w2"]);
    expect(await statusOf(app, "appointment", a4!)).toBe("scheduled");
  });

  it("with interleave 0 walk-ins wait for the appointment patients; a receptionist's rank goes first and is audited", async () => {
    const clinic = await buildMiddayClinic(app, { walkInInterleave: 0 });
    const doctor = await buildDoctor(app, [clinic.id]);
    const reception = await buildPerson(app, "receptionist", { clinicIds: [clinic.id] });
    for (let i = 0; i < 2; i++) await buildSlotFromNow(app, { doctorId: doctor.doctorId, clinicId: clinic.id, fromNowMinutes: 30 + i * 15, kind: "walk_in" });
    const patients = await Promise.all(Array.from({ length: 4 }, () => buildNamedPatient(app)));
    const labels = new Map<string, string>();
    const b1 = await staffCheckIn(app, reception, clinic.id, (await buildAppointmentFromNow(app, { doctorId: doctor.doctorId, clinicId: clinic.id, patientId: patients[0]!.patientId, fromNowMinutes: 0 })).id);
    const b2 = await staffCheckIn(app, reception, clinic.id, (await buildAppointmentFromNow(app, { doctorId: doctor.doctorId, clinicId: clinic.id, patientId: patients[1]!.patientId, fromNowMinutes: 15 })).id);
    const x = await walkIn(app, reception, clinic.id, { patientId: patients[2]!.patientId, doctorId: doctor.doctorId });
    const y = await walkIn(app, reception, clinic.id, { patientId: patients[3]!.patientId, doctorId: doctor.doctorId });
    for (const [label, reply, ago] of [["b1", b1, 5], ["b2", b2, 4], ["x", x, 30], ["y", y, 20]] as const) {
      labels.set(reply.body.id, label);
      await arrivedAgo(app, reply.body.id, ago);
    }
    const noReason = await act(app, reception, y.body.id, "reorder", { version: 1, rank: 1 });
    expect(noReason.status).toBe(400);
    expect(JSON.stringify(noReason.body)).toContain("body.reason");
    const ranked = await act(app, reception, y.body.id, "reorder", { version: 1, rank: 1, reason: "Frail, waited long" });
    expect(ranked.status).toBe(200);
    expect(ranked.body).toMatchObject({ manualRank: 1, version: 2 });
    const [audit] = await query<{ after: { reason: string } }>(app, `select after from audit_event where action = 'queue.reorder' and entity_id = ?`, [y.body.id]);
    expect(audit?.after.reason).toBe("Frail, waited long");

    const order: string[] = [];
    for (let reply = await callNext(app, doctor, doctor.doctorId); reply.body.entry; reply = await callNext(app, doctor, doctor.doctorId)) {
      order.push(labels.get(reply.body.entry.id)!);
      await startAndFinish(app, doctor, reply.body.entry);
    }
    expect(order).toEqual(["y", "b1", "b2", "x"]);
  });

  it("moves the appointment with the doctor's actions; finishing completes it; reception marks left; only the entry's doctor or staff may act", async () => {
    const clinic = await buildMiddayClinic(app);
    const doctor = await buildDoctor(app, [clinic.id]);
    const stranger = await buildDoctor(app, [(await buildMiddayClinic(app)).id]);
    const reception = await buildPerson(app, "receptionist", { clinicIds: [clinic.id] });
    const [p1, p2, p3] = await Promise.all([buildNamedPatient(app), buildNamedPatient(app), buildNamedPatient(app)]);
    const ap1 = (await buildAppointmentFromNow(app, { doctorId: doctor.doctorId, clinicId: clinic.id, patientId: p1.patientId, fromNowMinutes: 0 })).id;
    const ap2 = (await buildAppointmentFromNow(app, { doctorId: doctor.doctorId, clinicId: clinic.id, patientId: p2.patientId, fromNowMinutes: 15 })).id;
    const ap3 = (await buildAppointmentFromNow(app, { doctorId: doctor.doctorId, clinicId: clinic.id, patientId: p3.patientId, fromNowMinutes: 30 })).id;
    for (const id of [ap1, ap2, ap3]) expect((await staffCheckIn(app, reception, clinic.id, id)).status).toBe(201);

    expect((await callNext(app, stranger, doctor.doctorId)).status).toBe(403);
    expect((await callNext(app, p1, doctor.doctorId)).status).toBe(403);
    const called = (await callNext(app, doctor, doctor.doctorId)).body.entry as QueueEntryView;
    expect(called.appointmentId).toBe(ap1);
    expect((await act(app, stranger, called.id, "start", { version: called.version })).status).toBe(403);
    expect((await act(app, doctor, called.id, "start", { version: called.version - 1 })).body.code).toBe("VERSION_CONFLICT");
    const started = await act(app, doctor, called.id, "start", { version: called.version });
    expect(started.body).toMatchObject({ status: "in_room", version: called.version + 1 });
    expect(started.body.startedAt).not.toBeNull();
    expect(await statusOf(app, "appointment", ap1)).toBe("in_consultation");
    const back = await act(app, doctor, called.id, "send-back", { version: started.body.version });
    expect(back.body).toMatchObject({ status: "waiting", calledAt: null, startedAt: null });
    expect(await statusOf(app, "appointment", ap1)).toBe("checked_in");
    const again = (await callNext(app, doctor, doctor.doctorId)).body.entry as QueueEntryView;
    expect(again.id).toBe(called.id);
    const inRoom = await act(app, doctor, again.id, "start", { version: again.version });
    const done = await act(app, doctor, again.id, "finish", { version: inRoom.body.version });
    expect(done.body).toMatchObject({ status: "done" });
    expect(done.body.finishedAt).not.toBeNull();
    expect(await statusOf(app, "appointment", ap1)).toBe("completed");
    // Finishing before starting is refused by the state rule.
    const next = (await callNext(app, doctor, doctor.doctorId)).body.entry as QueueEntryView;
    expect((await act(app, doctor, next.id, "finish", { version: next.version })).body.code).toBe("ILLEGAL_TRANSITION");
    const noShow = await act(app, doctor, next.id, "no-show", { version: next.version });
    expect(noShow.body.status).toBe("no_show");
    expect(await statusOf(app, "appointment", ap2)).toBe("no_show");

    const list = queueListSchema.parse((await call(app, reception, "GET", `/clinics/${clinic.id}/queue`)).body);
    const third = list.items.find((item) => item.appointmentId === ap3)!;
    expect((await act(app, doctor, third.id, "leave", { version: third.version })).status).toBe(403);
    const left = await act(app, reception, third.id, "leave", { version: third.version });
    expect(left.body).toMatchObject({ status: "left" });
    expect(await statusOf(app, "appointment", ap3)).toBe("cancelled");
    expect(list.items.map((item) => item.status).sort()).toEqual(["done", "no_show", "waiting"]);
    expect((await call(app, doctor, "GET", `/clinics/${clinic.id}/queue`)).status).toBe(403);
    const mine = queueListSchema.parse((await call(app, doctor, "GET", `/doctors/${doctor.doctorId}/queue`)).body);
    expect(mine.items).toHaveLength(3);
  });

  it("two receptionists acting on one entry at once: exactly one succeeds, the other gets 409 VERSION_CONFLICT; the handover is audited", async () => {
    const clinic = await buildMiddayClinic(app);
    const [d1, d2] = [await buildDoctor(app, [clinic.id]), await buildDoctor(app, [clinic.id])];
    const [r1, r2] = await Promise.all([
      buildPerson(app, "receptionist", { clinicIds: [clinic.id] }),
      buildPerson(app, "receptionist", { clinicIds: [clinic.id] }),
    ]);
    for (let round = 0; round < 5; round++) {
      const patient = await buildNamedPatient(app);
      const appointmentId = (await buildAppointmentFromNow(app, { doctorId: d1.doctorId, clinicId: clinic.id, patientId: patient.patientId, fromNowMinutes: round * 5 })).id;
      const entry = (await staffCheckIn(app, r1, clinic.id, appointmentId)).body as QueueEntryView;
      const replies = await Promise.all([
        act(app, r1, entry.id, "reassign", { version: entry.version, doctorId: d2.doctorId, reason: "Dr 1 called away" }),
        act(app, r2, entry.id, "leave", { version: entry.version }),
      ]);
      const statuses = replies.map((reply) => reply.status).sort();
      expect(statuses).toEqual([200, 409]);
      expect(replies.find((reply) => reply.status === 409)!.body.code).toBe("VERSION_CONFLICT");
      const [row] = await query<{ version: number; status: string; doctor_id: string }>(app, `select version, status, doctor_id from queue_entry where id = ?`, [entry.id]);
      expect(row!.version).toBe(entry.version + 1);
      const winner = replies.find((reply) => reply.status === 200)!.body as QueueEntryView;
      expect([row!.status, row!.doctor_id]).toEqual([winner.status, winner.doctorId]);
      if (winner.status === "waiting") {
        const [handover] = await query<{ after: Record<string, unknown> }>(app, `select after from audit_event where action = 'queue.handover' and entity_id = ?`, [entry.id]);
        expect(handover!.after).toMatchObject({ fromDoctorId: d1.doctorId, toDoctorId: d2.doctorId, reason: "Dr 1 called away" });
      }
    }
    const bad = await act(app, r1, "00000000-0000-4000-8000-000000000000", "reassign", { version: "one", doctorId: d2.doctorId });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain("body.version");
  });
});
