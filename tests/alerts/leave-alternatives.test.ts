/**
 * Leave auto-cancel messages: each patient is told through notify() (their channels, keyed
 * `leave-cancel-{appointmentId}`), with the earliest alternatives — the same doctor's free future
 * regular slots first, then those of other doctors at the clinic sharing a specialty — never one of
 * the released slots; delivery is queued after the commit.
 */
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { useApp } from "../support/harness";
import { buildAppointment, buildClinic, buildDoctor, buildPerson, buildSlot, buildSlots } from "../support/factories";
import { call } from "../support/api";
import { query } from "../support/db";
import { at, dayFromNow } from "../support/dates";

describe("leave cancellation alternatives", () => {
  const app = useApp({ LOG_LEVEL: "error" });

  async function specialty(...doctorIds: string[]): Promise<string> {
    const id = randomUUID();
    await query(app, `insert into specialty (id, name) values (?, ?)`, [id, `Specialty ${id.slice(0, 8)}`]);
    for (const doctorId of doctorIds) await query(app, `insert into doctor_specialty (doctor_id, specialty_id) values (?, ?)`, [doctorId, id]);
    return id;
  }
  const nameOf = async (doctorId: string) => (await query<{ display_name: string }>(app, `select display_name from doctor where id = ?`, [doctorId]))[0]!.display_name;
  const messagesOf = (userId: string) =>
    query<{ id: string; channel: string; status: string; status_detail: string | null; dedupe_key: string; payload: Record<string, unknown> }>(
      app,
      `select id, channel, status, status_detail, dedupe_key, payload from notification_outbox where template = 'booking.cancelled-by-leave' and user_id = ? order by channel`,
      [userId],
    );

  it("offers the doctor's own earliest free slots, then same-specialty colleagues' at the clinic, never the released ones", async () => {
    const clinic = await buildClinic(app);
    const elsewhere = await buildClinic(app);
    const doctor = await buildDoctor(app, [clinic.id, elsewhere.id]);
    const colleague = await buildDoctor(app, [clinic.id]);
    const laterColleague = await buildDoctor(app, [clinic.id]);
    const otherField = await buildDoctor(app, [clinic.id]);
    const farAway = await buildDoctor(app, [elsewhere.id]);
    await specialty(doctor.doctorId, colleague.doctorId, laterColleague.doctorId, farAway.doctorId);
    await specialty(otherField.doctorId);
    const reception = await buildPerson(app, "receptionist", { clinicIds: [clinic.id] });
    const patient = await buildPerson(app, "patient");

    const day = dayFromNow(4);
    // 09:00 booked (released by the leave), 09:15 free (blocked by it), 09:30 and 09:45 free after it.
    const own = await buildSlots(app, {
      doctorId: doctor.doctorId, clinicId: clinic.id, date: day, from: "09:00", count: 4, minutes: 15, status: (i) => (i === 0 ? "booked" : "available"),
    });
    const appointment = await buildAppointment(app, { slot: own[0]!, patientId: patient.patientId!, status: "scheduled" });
    // Not offered: the doctor's past slot, walk-in slot, a live hold, a slot at another clinic;
    // a colleague in another field; a same-field doctor elsewhere.
    await buildSlot(app, { doctorId: doctor.doctorId, clinicId: clinic.id, start: at(dayFromNow(-1), "09:00") });
    await buildSlot(app, { doctorId: doctor.doctorId, clinicId: clinic.id, start: at(dayFromNow(2), "09:00"), kind: "walk_in" });
    await buildSlot(app, { doctorId: doctor.doctorId, clinicId: clinic.id, start: at(dayFromNow(2), "10:00"), status: "held", holdExpiresAt: new Date(Date.now() + 600_000) });
    await buildSlot(app, { doctorId: doctor.doctorId, clinicId: elsewhere.id, start: at(dayFromNow(1), "09:00") });
    await buildSlot(app, { doctorId: otherField.doctorId, clinicId: clinic.id, start: at(dayFromNow(1), "10:00") });
    await buildSlot(app, { doctorId: farAway.doctorId, clinicId: elsewhere.id, start: at(dayFromNow(1), "11:00") });
    // Offered third: the colleague's earliest (a later one of theirs and of another colleague are not).
    const colleagueSlot = await buildSlot(app, { doctorId: colleague.doctorId, clinicId: clinic.id, start: at(dayFromNow(5), "10:00") });
    await buildSlot(app, { doctorId: colleague.doctorId, clinicId: clinic.id, start: at(dayFromNow(6), "10:00") });
    await buildSlot(app, { doctorId: laterColleague.doctorId, clinicId: clinic.id, start: at(dayFromNow(7), "10:00") });

    const response = await call(app, reception, "POST", `/doctors/${doctor.doctorId}/unavailability`, {
      clinicId: clinic.id, kind: "emergency_leave", startsAt: at(day, "09:00").toISOString(), endsAt: at(day, "09:30").toISOString(), reason: "Unwell", autoCancel: true,
    });
    expect(response.status, JSON.stringify(response.body)).toBe(201);
    expect(response.body.cancelledAppointmentIds).toEqual([appointment.id]);
    expect(response.body).not.toHaveProperty("outboxIds");

    const messages = await messagesOf(patient.user.id);
    expect(messages.map((m) => [m.channel, m.status, m.status_detail])).toEqual([
      ["email", "queued", null],
      ["in_app", "queued", null],
      ["push", "not_sent", "opted out"],
      ["sms", "not_sent", "opted out"],
    ]);
    expect(messages.map((m) => m.dedupe_key)).toEqual(["email", "in_app", "push", "sms"].map((c) => `leave-cancel-${appointment.id}:${c}`));
    const payload = messages[1]!.payload as { alternatives: { slotId: string; doctorId: string; doctorName: string; start: string }[]; alternativesText: string; reason: string; when: string };
    const [doctorName, colleagueName] = [await nameOf(doctor.doctorId), await nameOf(colleague.doctorId)];
    expect(payload.alternatives).toEqual([
      { slotId: own[2]!.id, doctorId: doctor.doctorId, doctorName, start: own[2]!.startsAt.toISOString() },
      { slotId: own[3]!.id, doctorId: doctor.doctorId, doctorName, start: own[3]!.startsAt.toISOString() },
      { slotId: colleagueSlot.id, doctorId: colleague.doctorId, doctorName: colleagueName, start: colleagueSlot.startsAt.toISOString() },
    ]);
    expect(payload.alternatives.map((a) => a.slotId)).not.toContain(own[0]!.id);
    expect(payload.alternatives.map((a) => a.slotId)).not.toContain(own[1]!.id);
    expect(payload.reason).toBe("Unwell");
    // Rendered in the clinic's zone (Europe/London).
    expect(payload.when).toMatch(/ at 09:00 (GMT|BST)$/);
    expect(payload.alternativesText).toMatch(new RegExp(`^Earliest alternatives: .* at 09:30 (GMT|BST) with ${doctorName}; .* at 09:45 (GMT|BST) with ${doctorName}; .* at 10:00 (GMT|BST) with ${colleagueName}\\.$`));
    // Delivery queued after the commit for the two queued rows.
    for (const message of messages.filter((m) => m.status === "queued")) {
      expect(await app.runtime.queues.get("notifications").getJob(`deliver-${message.id}`)).toBeTruthy();
    }
  });

  it("says so when nothing free is left to offer", async () => {
    const clinic = await buildClinic(app);
    const doctor = await buildDoctor(app, [clinic.id]);
    const patient = await buildPerson(app, "patient");
    const [slot] = await buildSlots(app, { doctorId: doctor.doctorId, clinicId: clinic.id, date: dayFromNow(3), from: "11:00", count: 1, minutes: 20, status: "booked" });
    await buildAppointment(app, { slot: slot!, patientId: patient.patientId!, status: "scheduled" });
    const response = await call(app, doctor, "POST", `/doctors/${doctor.doctorId}/unavailability`, {
      clinicId: clinic.id, kind: "vacation", startsAt: at(dayFromNow(3), "00:00").toISOString(), reason: "Retiring", autoCancel: true,
    });
    expect(response.status, JSON.stringify(response.body)).toBe(201);
    const [message] = (await messagesOf(patient.user.id)).filter((m) => m.channel === "in_app");
    expect(message!.payload).toMatchObject({ alternatives: [], reason: "Retiring" });
    expect(message!.payload.alternativesText).toMatch(/^We found no free time/);
  });
});
