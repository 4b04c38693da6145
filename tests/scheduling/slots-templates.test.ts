/** Templates (save from entries or from a real week, apply), cloning days and weeks, and the staff slot view. */
import { beforeAll, describe, expect, it } from "vitest";
import { addDays, localDateOf, localTimeOf, staffSlotListSchema, zonedToInstant } from "@clinic/shared";
import { useApp } from "../support/harness";
import { buildClinic, buildDoctor, buildPerson, type TestPerson, weekdayRule } from "../support/factories";
import { call } from "../support/api";
import { count, overlappingSlotPairs, query } from "../support/db";
import { mondayIn } from "../support/dates";

const ZONE = "Europe/London";

describe("templates, cloning and the slot view", () => {
  const app = useApp();
  let clinicId: string;
  let admin: TestPerson;
  let reception: TestPerson;

  beforeAll(async () => {
    clinicId = (await buildClinic(app)).id;
    admin = await buildPerson(app, "clinic_admin", { clinicIds: [clinicId] });
    reception = await buildPerson(app, "receptionist", { clinicIds: [clinicId] });
  });

  it("saves a week template from entries, lists it, and applies it as weekly rules", async () => {
    const entries = [
      { dayOffset: 0, startTime: "09:00", endTime: "11:00", slotMinutes: 30 },
      { dayOffset: 2, startTime: "14:00", endTime: "16:00", slotMinutes: 20, bufferMinutes: 10, tags: ["review"] },
    ];
    expect((await call(app, reception, "POST", `/clinics/${clinicId}/templates`, { name: "Standard", span: "week", entries })).status).toBe(403);
    const saved = await call(app, admin, "POST", `/clinics/${clinicId}/templates`, { name: "Standard", span: "week", entries });
    expect(saved.status).toBe(201);
    expect((await call(app, admin, "POST", `/clinics/${clinicId}/templates`, { name: "Standard", span: "week", entries })).body.code).toBe("TEMPLATE_NAME_TAKEN");
    const bad = await call(app, admin, "POST", `/clinics/${clinicId}/templates`, { name: "Bad", span: "week", entries: [{ ...entries[0], startTime: "25:00" }] });
    expect(bad.status).toBe(400);
    const list = await call(app, admin, "GET", `/clinics/${clinicId}/templates`);
    expect(list.body.items.map((t: { name: string }) => t.name)).toEqual(["Standard"]);

    const doctor = await buildDoctor(app, [clinicId]);
    const from = mondayIn(1);
    const applied = await call(app, reception, "POST", `/templates/${saved.body.id}/apply`, { doctorId: doctor.doctorId, from, to: addDays(from, 13) });
    expect(applied.status).toBe(201);
    expect(applied.body.rules).toHaveLength(2);
    expect(applied.body.rules[1]).toMatchObject({ recurrence: { freq: "weekly", weekdays: [3] }, bufferMinutes: 10, tags: ["review"] });
    // Mondays 4 slots, Wednesdays 14:00, 14:30, 15:00, 15:30 (20 + 10 buffer) = 4; two weeks.
    expect(applied.body.materialisation.created).toBe(16);
    const rows = await query<{ starts_at: Date }>(app, `select starts_at from slot where doctor_id = ? order by starts_at`, [doctor.doctorId]);
    expect(rows.slice(4, 8).map((r) => localTimeOf(new Date(r.starts_at), ZONE))).toEqual(["14:00", "14:30", "15:00", "15:30"]);
  });

  it("saves a template from a doctor's real week and applies it to another doctor", async () => {
    const doctor = await buildDoctor(app, [clinicId]);
    await call(app, admin, "POST", `/doctors/${doctor.doctorId}/availability-rules`, {
      ...weekdayRule(clinicId, { breaks: [{ start: "10:00", end: "10:30" }] }),
      recurrence: { freq: "weekly", interval: 1, weekdays: [2, 4] },
    });
    const saved = await call(app, admin, "POST", `/clinics/${clinicId}/templates`, {
      name: "Dr week",
      span: "week",
      fromDoctorId: doctor.doctorId,
      fromDate: addDays(mondayIn(1), 3),
    });
    expect(saved.status).toBe(201);
    expect(saved.body.entries.map((e: { dayOffset: number; startTime: string; breaks: unknown[] }) => [e.dayOffset, e.startTime, e.breaks.length])).toEqual([
      [1, "09:00", 1],
      [3, "09:00", 1],
    ]);
    const other = await buildDoctor(app, [clinicId]);
    const applied = await call(app, admin, "POST", `/templates/${saved.body.id}/apply`, { doctorId: other.doctorId, from: mondayIn(1), to: addDays(mondayIn(1), 6) });
    expect(applied.status).toBe(201);
    expect(applied.body.materialisation.created).toBe(2 * 5);
    // Locums cannot take a recurring template.
    const locum = await buildDoctor(app, [clinicId], { employmentType: "locum" });
    const refused = await call(app, admin, "POST", `/templates/${saved.body.id}/apply`, { doctorId: locum.doctorId, from: mondayIn(1), to: addDays(mondayIn(1), 6) });
    expect([refused.status, refused.body.code]).toEqual([422, "LOCUM_AD_HOC_ONLY"]);
    expect(await count(app, `select count(*) n from availability_rule where doctor_id = ?`, [locum.doctorId])).toBe(0);
  });

  it("clones a day and a week onto target days as ad-hoc slots, skipping clashes, not copying bookings", async () => {
    const doctor = await buildDoctor(app, [clinicId]);
    const monday = mondayIn(1);
    const rule = await call(app, admin, "POST", `/doctors/${doctor.doctorId}/availability-rules`, {
      ...weekdayRule(clinicId, { validUntil: addDays(monday, 6) }),
      recurrence: { freq: "weekly", interval: 1, weekdays: [1, 2] },
    });
    expect(rule.body.materialisation.created).toBe(12);
    await query(app, `update slot set status = 'booked' where doctor_id = ? and starts_at = ?`, [doctor.doctorId, zonedToInstant(monday, "09:00", ZONE)]);
    await query(app, `update slot set status = 'blocked', note = 'admin' where doctor_id = ? and starts_at = ?`, [doctor.doctorId, zonedToInstant(monday, "11:30", ZONE)]);

    // Day: Monday onto Thursday and onto Tuesday (which clashes entirely).
    const day = await call(app, reception, "POST", `/doctors/${doctor.doctorId}/slots/clone`, {
      clinicId,
      sourceFrom: monday,
      sourceTo: monday,
      targetStarts: [addDays(monday, 3), addDays(monday, 1)],
    });
    expect(day.status).toBe(201);
    expect(day.body.created).toHaveLength(6);
    expect(day.body.skipped).toHaveLength(6);
    expect(day.body.skipped.every((s: { reason: string; clashWith: unknown[] }) => s.reason === "clash" && s.clashWith.length === 1)).toBe(true);
    const thursday = day.body.created.map((s: { start: string; status: string; ruleId: string | null }) => [localDateOf(new Date(s.start), ZONE), localTimeOf(new Date(s.start), ZONE), s.status, s.ruleId]);
    expect(thursday[0]).toEqual([addDays(monday, 3), "09:00", "available", null]);
    expect(thursday[5]).toEqual([addDays(monday, 3), "11:30", "blocked", null]);

    // Week: the source week onto the next two weeks.
    const week = await call(app, reception, "POST", `/doctors/${doctor.doctorId}/slots/clone`, {
      clinicId,
      sourceFrom: monday,
      sourceTo: addDays(monday, 6),
      targetStarts: [addDays(monday, 7), addDays(monday, 14)],
    });
    expect(week.status).toBe(201);
    expect(week.body.created).toHaveLength(2 * 18);
    expect(await overlappingSlotPairs(app, doctor.doctorId)).toBe(0);
    expect(await count(app, `select count(*) n from slot where doctor_id = ? and status = 'booked'`, [doctor.doctorId])).toBe(1);
    const tooLong = await call(app, reception, "POST", `/doctors/${doctor.doctorId}/slots/clone`, { clinicId, sourceFrom: monday, sourceTo: addDays(monday, 9), targetStarts: [addDays(monday, 21)] });
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.errors[0].field).toBe("body.sourceTo");

    // The staff view: blocked slots and notes included; range capped at 31 days.
    const from = zonedToInstant(monday, "00:00", ZONE).toISOString();
    const to = zonedToInstant(addDays(monday, 7), "00:00", ZONE).toISOString();
    const view = await call(app, reception, "GET", `/doctors/${doctor.doctorId}/slots?clinicId=${clinicId}&from=${from}&to=${to}`);
    expect(view.status).toBe(200);
    const items = staffSlotListSchema.parse(view.body).items;
    expect(items).toHaveLength(18);
    expect(items.filter((s) => s.status === "blocked").map((s) => s.note)).toEqual(["admin", "admin"]);
    const far = zonedToInstant(addDays(monday, 40), "00:00", ZONE).toISOString();
    const capped = await call(app, reception, "GET", `/doctors/${doctor.doctorId}/slots?clinicId=${clinicId}&from=${from}&to=${far}`);
    expect([capped.status, capped.body.errors[0].field]).toEqual([400, "query.to"]);
    const patient = await buildPerson(app, "patient");
    expect((await call(app, patient, "GET", `/doctors/${doctor.doctorId}/slots?clinicId=${clinicId}&from=${from}&to=${to}`)).status).toBe(403);
  });
});
