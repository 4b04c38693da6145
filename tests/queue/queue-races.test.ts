/**
 * The queue under races (real PostgreSQL): parallel call-next by two doctors never picks one
 * patient twice nor gives a doctor a second called patient; racing walk-ins never use more walk-in
 * capacity than the schedule has and are told the next free time; tickets are numbered per clinic
 * and day without gaps or duplicates.
 */
import { describe, expect, it } from "vitest";
import type { QueueEntryView } from "@clinic/shared";
import { useApp } from "../support/harness";
import { buildAppointmentFromNow, buildDoctor, buildMiddayClinic, buildNamedPatient, buildPerson, buildSlotFromNow } from "../support/factories";
import { act, callNext, staffCheckIn, startAndFinish, walkIn } from "../support/api";
import { query } from "../support/db";

const range = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => `${prefix}-${String(i + 1).padStart(3, "0")}`);

describe("the queue under races", () => {
  const app = useApp();

  it("racing walk-ins take at most the free walk-in slots of today; the rest get 409 NO_WALK_IN_CAPACITY with the next free time", async () => {
    const clinic = await buildMiddayClinic(app);
    const doctor = await buildDoctor(app, [clinic.id]);
    const reception = await buildPerson(app, "receptionist", { clinicIds: [clinic.id] });
    const today = await Promise.all([15, 30, 45, 60, 75].map(async (m) => (await buildSlotFromNow(app, { doctorId: doctor.doctorId, clinicId: clinic.id, fromNowMinutes: m, kind: "walk_in" })).id));
    // Over already (not capacity any more), a regular slot (not walk-in capacity), and tomorrow's walk-in slot.
    await buildSlotFromNow(app, { doctorId: doctor.doctorId, clinicId: clinic.id, fromNowMinutes: -60, kind: "walk_in" });
    await buildSlotFromNow(app, { doctorId: doctor.doctorId, clinicId: clinic.id, fromNowMinutes: 90, kind: "regular" });
    const tomorrow = new Date(Date.now() + 26 * 3_600_000);
    await buildSlotFromNow(app, { doctorId: doctor.doctorId, clinicId: clinic.id, fromNowMinutes: 0, startsAt: tomorrow, kind: "walk_in" });
    const patients = await Promise.all(Array.from({ length: 12 }, () => buildNamedPatient(app)));

    const replies = await Promise.all(patients.map((patient) => walkIn(app, reception, clinic.id, { patientId: patient.patientId, doctorId: doctor.doctorId })));
    const ok = replies.filter((reply) => reply.status === 201);
    const refused = replies.filter((reply) => reply.status !== 201);
    expect(ok).toHaveLength(5);
    for (const reply of refused) {
      expect([reply.status, reply.body.code, reply.body.nextFreeAt]).toEqual([409, "NO_WALK_IN_CAPACITY", tomorrow.toISOString()]);
    }
    // Each taken slot is used once, and every one of today's is booked now.
    const used = ok.map((reply) => (reply.body as QueueEntryView).slotId);
    expect(new Set(used).size).toBe(5);
    expect([...used].sort()).toEqual([...today].sort());
    const booked = await query<{ n: number }>(app, `select count(*)::int as n from slot where id = any(?::uuid[]) and status = 'booked'`, [`{${today.join(",")}}`]);
    expect(booked[0]!.n).toBe(5);
    expect(ok.map((reply) => reply.body.ticket).sort()).toEqual(range(5, "W"));

    // Emergencies are never refused: no emergency slot is free, so they take none.
    const emergency = await walkIn(app, reception, clinic.id, { patientId: patients[0]!.patientId, kind: "emergency", reason: "Fainted in the car park" });
    expect(emergency.status).toBe(201);
    expect(emergency.body).toMatchObject({ ticket: "E-001", kind: "emergency", slotId: null });
    // Any doctor: the clinic has no free walk-in slot of any doctor either.
    const any = await walkIn(app, reception, clinic.id, { newPatient: { name: "Quinn Example", phone: "+447700955501" } });
    expect([any.status, any.body.code]).toEqual([409, "NO_WALK_IN_CAPACITY"]);
    // …and the refused quick record was not kept.
    expect(await query(app, `select 1 from user_account where phone = '+447700955501'`)).toHaveLength(0);

    // A walk-in who leaves unseen gives their slot back: the next walk-in gets exactly that one.
    const leaver = ok[0]!.body as QueueEntryView;
    const left = await act(app, reception, leaver.id, "leave", { version: leaver.version });
    expect([left.status, left.body.status]).toEqual([200, "left"]);
    const next = await walkIn(app, reception, clinic.id, { patientId: patients[11]!.patientId, doctorId: doctor.doctorId });
    expect([next.status, (next.body as QueueEntryView).slotId]).toEqual([201, leaver.slotId]);
  });

  it("numbers tickets per clinic and day without gaps under concurrent check-ins", async () => {
    const [clinic, other] = [await buildMiddayClinic(app), await buildMiddayClinic(app)];
    const doctor = await buildDoctor(app, [clinic.id, other.id]);
    const [reception, otherReception] = await Promise.all([
      buildPerson(app, "receptionist", { clinicIds: [clinic.id] }),
      buildPerson(app, "receptionist", { clinicIds: [other.id] }),
    ]);
    const patients = await Promise.all(Array.from({ length: 14 }, () => buildNamedPatient(app)));
    const appointments = await Promise.all(
      patients.map(async (patient, i) => (await buildAppointmentFromNow(app, { doctorId: doctor.doctorId, clinicId: i < 10 ? clinic.id : other.id, patientId: patient.patientId, fromNowMinutes: i * 5 })).id),
    );
    // One appointment is checked in twice at once: one wins, and the loser's number is not burnt.
    const replies = await Promise.all([
      ...appointments.map((id, i) => staffCheckIn(app, i < 10 ? reception : otherReception, i < 10 ? clinic.id : other.id, id)),
      staffCheckIn(app, reception, clinic.id, appointments[0]!),
    ]);
    const statuses = replies.map((reply) => reply.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(14);
    expect(statuses.filter((s) => s === 409)).toHaveLength(1);
    const ticketsOf = (clinicId: string) => replies.filter((reply) => reply.status === 201 && reply.body.clinicId === clinicId).map((reply) => reply.body.ticket as string).sort();
    expect(ticketsOf(clinic.id)).toEqual(range(10, "A"));
    expect(ticketsOf(other.id)).toEqual(range(4, "A"));
  });

  it("parallel call-next by two doctors calls every waiting patient exactly once, one called patient per doctor at a time", async () => {
    const clinic = await buildMiddayClinic(app, { walkInInterleave: 1 });
    const [d1, d2] = [await buildDoctor(app, [clinic.id]), await buildDoctor(app, [clinic.id])];
    const reception = await buildPerson(app, "receptionist", { clinicIds: [clinic.id] });
    for (let i = 0; i < 8; i++) await buildSlotFromNow(app, { doctorId: i % 2 ? d1.doctorId : d2.doctorId, clinicId: clinic.id, fromNowMinutes: 10 + i * 10, kind: "walk_in" });
    const patients = await Promise.all(Array.from({ length: 12 }, () => buildNamedPatient(app)));
    const entries: QueueEntryView[] = [];
    // 8 unassigned walk-ins both may call, 2 appointment patients of each doctor.
    for (let i = 0; i < 8; i++) entries.push((await walkIn(app, reception, clinic.id, { patientId: patients[i]!.patientId })).body);
    for (let i = 8; i < 12; i++) {
      const doctorId = i < 10 ? d1.doctorId : d2.doctorId;
      entries.push((await staffCheckIn(app, reception, clinic.id, (await buildAppointmentFromNow(app, { doctorId, clinicId: clinic.id, patientId: patients[i]!.patientId, fromNowMinutes: i })).id)).body);
    }
    expect(entries.every((entry) => entry.status === "waiting")).toBe(true);

    // Each round both doctors call at once, each with a double click: per doctor one call wins and the
    // other is 409 ALREADY_CALLED naming it; then each doctor sees their patient through.
    const picked: { entry: QueueEntryView; doctorId: string }[] = [];
    for (let round = 0; round < 20; round++) {
      const calls = await Promise.all([d1, d2, d1, d2].map((doctor) => callNext(app, doctor, doctor.doctorId).then((reply) => ({ reply, doctorId: doctor.doctorId }))));
      const won: { entry: QueueEntryView; doctorId: string }[] = [];
      for (const doctor of [d1, d2]) {
        const replies = calls.filter((c) => c.doctorId === doctor.doctorId).map((c) => c.reply);
        const winner = replies.find((reply) => reply.status === 200 && reply.body.entry !== null);
        if (!winner) {
          // Nobody left for this doctor: both clicks say so.
          expect(replies.map((reply) => [reply.status, reply.body.entry])).toEqual([[200, null], [200, null]]);
          continue;
        }
        const entry = winner.body.entry as QueueEntryView;
        expect(entry.doctorId).toBe(doctor.doctorId);
        const loser = replies.find((reply) => reply !== winner)!;
        expect([loser.status, loser.body.code, loser.body.entryId]).toEqual([409, "ALREADY_CALLED", entry.id]);
        won.push({ entry, doctorId: doctor.doctorId });
      }
      if (won.length === 0) break;
      picked.push(...won);
      for (const { entry, doctorId } of won) await startAndFinish(app, doctorId === d1.doctorId ? d1 : d2, entry);
    }
    const ids = picked.map(({ entry }) => entry.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toHaveLength(12);
    // Each doctor's own appointment patients went to that doctor.
    for (const entry of entries.filter((e) => e.kind === "appointment")) {
      expect(picked.find((p) => p.entry.id === entry.id)!.doctorId).toBe(entry.doctorId);
    }
    const rows = await query<{ status: string; n: number }>(app, `select status, count(*)::int as n from queue_entry where clinic_id = ? group by status`, [clinic.id]);
    expect(rows).toEqual([{ status: "done", n: 12 }]);
  });
});
