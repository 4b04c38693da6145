/**
 * The live flow's messages: a confirmed booking tells the patient (with the visit as a calendar file
 * on the email, and where to manage it); a cancellation tells the patient and the doctor by whom and
 * why, also when the desk cancels; a move tells both with the old and new times, and not as a
 * cancellation; a cancellation by leave only has its own message; a call tells the patient "It's
 * your turn — Room 3" and the next one "You're next"; a Bengali speaker reads Bengali.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { simpleParser } from "mailparser";
import { startApiAndWorker, waitFor, type TestApp } from "../support/harness";
import { buildClinic, buildDoctor, buildMiddayClinic, buildPatient, buildPerson, buildSlotFromNow, type TestPerson } from "../support/factories";
import { call, callNext, walkIn } from "../support/api";
import { query } from "../support/db";
import { renderTemplate } from "../../server/src/modules/notifications/render";
import { startSmtp, type TestSmtp } from "./support";

interface Row {
  template: string;
  channel: string;
  language: string;
  payload: Record<string, string>;
}

describe("visit messages", () => {
  let smtp: TestSmtp;
  let api: TestApp;
  let worker: TestApp;

  beforeAll(async () => {
    smtp = await startSmtp();
    ({ api, worker } = await startApiAndWorker({ SMTP_URL: smtp.url, PUBLIC_URL: "https://clinic.example" }));
  }, 60_000);
  afterAll(async () => {
    await worker?.close();
    await api?.close();
    await smtp?.close();
  });

  const messagesOf = (person: TestPerson, template: string) =>
    query<Row>(api, "select template, channel, language, payload from notification_outbox where user_id = ? and template = ? order by channel", [person.user.id, template]);
  const arrived = (person: TestPerson, template: string) => waitFor(async () => ((await messagesOf(person, template)).length > 0 ? messagesOf(person, template) : undefined), 15_000);

  async function booked(daysAhead: number) {
    const clinic = await buildClinic(api, { name: `Visit clinic ${Date.now()}` });
    const doctor = await buildDoctor(api, [clinic.id]);
    // On vise and related to the doctor: the visit is free, so confirm needs no payment.
    const patient = await buildPatient(api, { tier: "vise", relatedTo: doctor.doctorId! });
    const slot = await buildSlotFromNow(api, { doctorId: doctor.doctorId!, clinicId: clinic.id, fromNowMinutes: daysAhead * 24 * 60 });
    const hold = await call(api, patient, "POST", "/appointments", { slotId: slot.id });
    expect(hold.status, JSON.stringify(hold.body)).toBe(201);
    const confirmed = await call(api, patient, "POST", `/appointments/${hold.body.id}/confirm`);
    expect(confirmed.status, JSON.stringify(confirmed.body)).toBe(200);
    return { clinic, doctor, patient, appointmentId: hold.body.id as string };
  }

  it("confirms a booking to the patient, with the visit as a calendar file on the email", async () => {
    const { doctor, patient, appointmentId } = await booked(3);
    const rows = await arrived(patient, "booking.confirmed");
    expect(rows.map((row) => row.channel)).toEqual(expect.arrayContaining(["email", "in_app"]));
    expect(rows[0]!.payload).toMatchObject({ appointmentId, doctor: doctor.user.displayName, manageUrl: "https://clinic.example/patient/appointments" });
    const mail = await waitFor(() => smtp.accepted.find((m) => m.to.includes(patient.user.email!) && m.subject.startsWith("Booked")), 15_000);
    const parsed = await simpleParser(mail.raw);
    expect(parsed.text).toContain("is confirmed for");
    const [ics] = parsed.attachments;
    expect(ics).toMatchObject({ filename: "appointment.ics", contentType: "text/calendar" });
    const calendar = ics!.content.toString("utf8");
    expect(calendar).toContain("BEGIN:VEVENT");
    expect(calendar).toContain(`UID:${appointmentId}@clinic-live`);
    expect(calendar).toMatch(/DTSTART:\d{8}T\d{6}Z/);
  });

  it("tells the patient and the doctor of a cancellation, by whom and why — the patient's own and the desk's", async () => {
    const own = await booked(3);
    expect((await call(api, own.patient, "POST", `/appointments/${own.appointmentId}/cancel`, { reason: "I feel better" })).status).toBe(200);
    const [patientSide] = await arrived(own.patient, "booking.cancelled");
    expect(patientSide!.payload).toMatchObject({ byWhom: "at your request", reasonText: "Reason: I feel better. ", reasonTextBn: "কারণ: I feel better। " });
    const [doctorSide] = await arrived(own.doctor, "booking.doctor-cancelled");
    expect(doctorSide!.payload).toMatchObject({ byWhom: "by the patient", patient: expect.any(String) });

    const desk = await booked(3);
    const reception = await buildPerson(api, "receptionist", { clinicIds: [desk.clinic.id] });
    expect((await call(api, reception, "POST", `/appointments/${desk.appointmentId}/cancel`, { reason: "doctor called away" })).status).toBe(200);
    const [told] = await arrived(desk.patient, "booking.cancelled");
    expect(told!.payload).toMatchObject({ byWhom: "by the clinic", reasonText: "Reason: doctor called away. " });
    expect((await arrived(desk.doctor, "booking.doctor-cancelled"))[0]!.payload.byWhom).toBe("by the clinic");
  });

  it("tells both of a move with the old and new times, and not as a cancellation", async () => {
    const { clinic, doctor, patient, appointmentId } = await booked(3);
    const later = await buildSlotFromNow(api, { doctorId: doctor.doctorId!, clinicId: clinic.id, fromNowMinutes: 4 * 24 * 60 });
    const moved = await call(api, patient, "POST", `/appointments/${appointmentId}/reschedule`, { slotId: later.id });
    expect(moved.status).toBe(200);
    const [toPatient] = await arrived(patient, "booking.moved");
    expect(toPatient!.payload.previousWhen).not.toBe("");
    expect(toPatient!.payload.when).not.toBe(toPatient!.payload.previousWhen);
    expect(toPatient!.payload.ics).toContain("BEGIN:VCALENDAR");
    expect((await arrived(doctor, "booking.doctor-moved")).length).toBeGreaterThan(0);
    expect(await messagesOf(patient, "booking.cancelled")).toEqual([]);
    expect(await messagesOf(doctor, "booking.doctor-cancelled")).toEqual([]);
  });

  it("leaves a cancellation by the doctor's leave to its own message", async () => {
    const { clinic, doctor, patient } = await booked(3);
    const leave = await call(api, doctor, "POST", `/doctors/${doctor.doctorId}/unavailability`, {
      clinicId: clinic.id,
      kind: "vacation",
      startsAt: new Date(Date.now() + 2 * 86_400_000).toISOString(),
      endsAt: new Date(Date.now() + 5 * 86_400_000).toISOString(),
      reason: "Family leave",
      autoCancel: true,
    });
    expect(leave.status).toBe(201);
    await arrived(patient, "booking.cancelled-by-leave");
    expect(await messagesOf(patient, "booking.cancelled")).toEqual([]);
  });

  it("calls a patient in by room, and tells the next one they are next; in Bengali for a Bengali speaker", async () => {
    const clinic = await buildMiddayClinic(api);
    const doctor = await buildDoctor(api, [clinic.id]);
    const reception = await buildPerson(api, "receptionist", { clinicIds: [clinic.id] });
    for (const minutes of [20, 30]) await buildSlotFromNow(api, { doctorId: doctor.doctorId!, clinicId: clinic.id, fromNowMinutes: minutes, kind: "walk_in" });
    const first = await walkIn(api, reception, clinic.id, { newPatient: { name: "Ayesha First", phone: "+447700955771" }, doctorId: doctor.doctorId });
    const second = await walkIn(api, reception, clinic.id, { newPatient: { name: "Bilal Second", phone: "+447700955772" }, doctorId: doctor.doctorId });
    expect([first.status, second.status]).toEqual([201, 201]);
    const userOf = async (patientId: string) => (await query<{ user_id: string }>(api, "select user_id from patient where id = ?", [patientId]))[0]!.user_id;
    const firstUser = await userOf(first.body.patientId);
    const secondUser = await userOf(second.body.patientId);
    await query(api, "update patient set preferred_language = 'bn' where id = ?", [second.body.patientId]);

    expect((await callNext(api, doctor, doctor.doctorId!, { clinicId: clinic.id, room: "Room 3" })).status).toBe(200);
    const turn = await waitFor(async () => (await query<Row & { user_id: string }>(api, "select template, channel, language, payload from notification_outbox where user_id = ? and template = 'queue.your-turn'", [firstUser]))[0], 15_000);
    expect(turn.payload).toMatchObject({ ticket: first.body.ticket, roomText: " — Room 3" });
    const next = await waitFor(async () => (await query<Row>(api, "select template, channel, language, payload from notification_outbox where user_id = ? and template = 'queue.next'", [secondUser]))[0], 15_000);
    expect(next).toMatchObject({ language: "bn", payload: { ticket: second.body.ticket } });
    expect(renderTemplate(next.template, next.language, next.payload)?.title).toBe("এর পরেই আপনি");
  });
});
