/**
 * The rules API: create/list/change/delete with materialisation, validation naming the field,
 * doctor constraints (clinic association, locums, weekly hours), access, preview, and changes that
 * spare held/booked slots.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { addDays, availabilityPreviewSchema, availabilityRuleWriteReplySchema, problemSchema } from "@clinic/shared";
import { useApp } from "../support/harness";
import { buildClinic, buildDoctor, buildPerson, type TestPerson, weekdayRule } from "../support/factories";
import { call } from "../support/api";
import { count, fork, overlappingSlotPairs, query } from "../support/db";
import { mondayIn } from "../support/dates";
import { Unavailability } from "../../server/src/modules/scheduling/unavailability.entity";
import { zonedToInstant } from "@clinic/shared";

describe("availability rules API", () => {
  const app = useApp();
  let clinicA: string;
  let clinicB: string;
  let admin: TestPerson;
  let reception: TestPerson;

  beforeAll(async () => {
    clinicA = (await buildClinic(app)).id;
    clinicB = (await buildClinic(app)).id;
    admin = await buildPerson(app, "clinic_admin", { clinicIds: [clinicA] });
    reception = await buildPerson(app, "receptionist", { clinicIds: [clinicA] });
  });

  const rulesOf = (doctorId: string) => count(app, `select count(*) n from availability_rule where doctor_id = ?`, [doctorId]);
  const slotsOf = (doctorId: string) => count(app, `select count(*) n from slot where doctor_id = ?`, [doctorId]);

  it("creates a rule, materialises its slots (version 1), audits, and lists it", async () => {
    const doctor = await buildDoctor(app, [clinicA]);
    const created = await call(app, reception, "POST", `/doctors/${doctor.doctorId}/availability-rules`, {
      ...weekdayRule(clinicA),
      breaks: [{ start: "10:30", end: "11:00" }],
      tags: ["gp"],
      note: "front desk",
      colour: "#00aa00",
    });
    expect(created.status).toBe(201);
    const body = availabilityRuleWriteReplySchema.parse(created.body);
    expect(body.materialisation).toEqual({ created: 50, kept: 0, removed: 0, conflicts: [] });
    expect(await count(app, `select count(*) n from slot where rule_id = ? and version = 1 and status = 'available' and 'gp' = any(tags)`, [body.rule.id])).toBe(50);
    expect(await count(app, `select count(*) n from audit_event where action = 'schedule.rule.create' and entity_id = ?`, [body.rule.id])).toBe(1);
    const list = await call(app, doctor, "GET", `/doctors/${doctor.doctorId}/availability-rules?clinicId=${clinicA}`);
    expect(list.status).toBe(200);
    expect(list.body.items.map((r: { id: string }) => r.id)).toEqual([body.rule.id]);
    // Slot minutes from the service's duration.
    const service = await call(app, admin, "POST", `/clinics/${clinicA}/services`, { name: "Long visit", durationMinutes: 45, colour: "#112233" });
    const fromService = await call(app, reception, "POST", `/doctors/${doctor.doctorId}/availability-rules`, {
      ...weekdayRule(clinicA, { startTime: "14:00", endTime: "17:00", validUntil: addDays(mondayIn(1), 4) }),
      slotMinutes: undefined,
      serviceId: service.body.id,
    });
    expect(fromService.status).toBe(201);
    expect(fromService.body.rule.slotMinutes).toBe(45);
    expect(fromService.body.materialisation.created).toBe(5 * 4);
  });

  it("bad input is a 400 naming the field, and writes nothing", async () => {
    const doctor = await buildDoctor(app, [clinicA]);
    const cases: [Record<string, unknown>, string][] = [
      [{ endTime: "08:00" }, "body.endTime"],
      [{ breaks: [{ start: "12:30", end: "13:00" }] }, "body.breaks.0.start"],
      [{ startTime: "9:00" }, "body.startTime"],
      [{ slotMinutes: 2 }, "body.slotMinutes"],
      [{ slotMinutes: undefined }, "body.slotMinutes"],
      [{ validUntil: addDays(mondayIn(1), -3) }, "body.validUntil"],
      [{ recurrence: { freq: "weekly", interval: 1, weekdays: [] } }, "body.recurrence.weekdays"],
      [{ colour: "green" }, "body.colour"],
      [{ surprise: 1 }, "body.surprise"],
    ];
    for (const [override, field] of cases) {
      const reply = await call(app, reception, "POST", `/doctors/${doctor.doctorId}/availability-rules`, weekdayRule(clinicA, override));
      expect(reply.status, field).toBe(400);
      expect(problemSchema.parse(reply.body).code).toBe("VALIDATION_FAILED");
      expect(reply.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    }
    const rule = await call(app, reception, "POST", `/doctors/${doctor.doctorId}/availability-rules`, weekdayRule(clinicA));
    const patch = await call(app, reception, "PATCH", `/availability-rules/${rule.body.rule.id}`, { endTime: "08:30" });
    expect(patch.status).toBe(400);
    expect(patch.body.errors.map((e: { field: string }) => e.field)).toContain("body.endTime");
    expect(await rulesOf(doctor.doctorId)).toBe(1);
    expect(await slotsOf(doctor.doctorId)).toBe(60);
  });

  it("refuses doctors not at the clinic, recurring rules for locums, and rules over contracted hours", async () => {
    const elsewhere = await buildDoctor(app, [clinicB]);
    const notHere = await call(app, admin, "POST", `/doctors/${elsewhere.doctorId}/availability-rules`, weekdayRule(clinicA));
    expect([notHere.status, notHere.body.code]).toEqual([422, "DOCTOR_NOT_AT_CLINIC"]);

    const locum = await buildDoctor(app, [clinicA], { employmentType: "locum" });
    const recurring = await call(app, admin, "POST", `/doctors/${locum.doctorId}/availability-rules`, weekdayRule(clinicA));
    expect([recurring.status, recurring.body.code]).toEqual([422, "LOCUM_AD_HOC_ONLY"]);
    const day = mondayIn(2);
    const single = await call(app, admin, "POST", `/doctors/${locum.doctorId}/availability-rules`, weekdayRule(clinicA, { validFrom: day, validUntil: day }));
    expect(single.status).toBe(201);
    expect(single.body.materialisation.created).toBe(6);

    const partTime = await buildDoctor(app, [clinicA, clinicB], { employmentType: "part_time", maxHoursPerWeek: 20 });
    const ok = await call(app, admin, "POST", `/doctors/${partTime.doctorId}/availability-rules`, weekdayRule(clinicA)); // 15 h
    expect(ok.status).toBe(201);
    // 6 more hours at another clinic in the second week only: week 2 has 21 h.
    const bAdmin = await buildPerson(app, "clinic_admin", { clinicIds: [clinicB] });
    const over = await call(app, bAdmin, "POST", `/doctors/${partTime.doctorId}/availability-rules`, {
      ...weekdayRule(clinicB, { startTime: "14:00", endTime: "17:00", validFrom: mondayIn(2), validUntil: addDays(mondayIn(2), 6) }),
      recurrence: { freq: "weekly", interval: 1, weekdays: [1, 2] },
    });
    expect([over.status, over.body.code]).toEqual([422, "WEEKLY_HOURS_EXCEEDED"]);
    expect(over.body).toMatchObject({ week: mondayIn(2), hours: 21, maxHoursPerWeek: 20 });
    expect(await rulesOf(partTime.doctorId)).toBe(1);
    // Shrinking the existing rule makes room.
    expect((await call(app, admin, "PATCH", `/availability-rules/${ok.body.rule.id}`, { endTime: "11:00" })).status).toBe(200);
    const fits = await call(app, bAdmin, "POST", `/doctors/${partTime.doctorId}/availability-rules`, {
      ...weekdayRule(clinicB, { startTime: "14:00", endTime: "17:00", validFrom: mondayIn(2), validUntil: addDays(mondayIn(2), 6) }),
      recurrence: { freq: "weekly", interval: 1, weekdays: [1, 2] },
    });
    expect(fits.status).toBe(201);
  });

  it("access: another clinic's receptionist and patients get 403, anonymous 401", async () => {
    const doctor = await buildDoctor(app, [clinicA]);
    const otherReception = await buildPerson(app, "receptionist", { clinicIds: [clinicB] });
    const patient = await buildPerson(app, "patient");
    const otherDoctor = await buildDoctor(app, [clinicA]);
    const path = `/doctors/${doctor.doctorId}/availability-rules`;
    for (const person of [otherReception, patient, otherDoctor]) {
      expect((await call(app, person, "POST", path, weekdayRule(clinicA))).status).toBe(403);
      expect((await call(app, person, "POST", `${path}/preview`, weekdayRule(clinicA))).status).toBe(403);
      expect((await call(app, person, "GET", `${path}?clinicId=${clinicA}`)).status).toBe(403);
    }
    expect((await call(app, null, "POST", path, weekdayRule(clinicA))).status).toBe(401);
    const own = await call(app, doctor, "POST", path, weekdayRule(clinicA));
    expect(own.status).toBe(201);
    for (const person of [otherReception, patient]) {
      expect((await call(app, person, "PATCH", `/availability-rules/${own.body.rule.id}`, { note: "x" })).status).toBe(403);
      expect((await call(app, person, "DELETE", `/availability-rules/${own.body.rule.id}`)).status).toBe(403);
    }
    expect(await rulesOf(doctor.doctorId)).toBe(1);
  });

  it("a rule change regenerates free slots only; held/booked ones stay and are reported; delete likewise", async () => {
    const doctor = await buildDoctor(app, [clinicA]);
    const created = await call(app, reception, "POST", `/doctors/${doctor.doctorId}/availability-rules`, weekdayRule(clinicA));
    const ruleId = created.body.rule.id as string;
    const monday = mondayIn(1);
    const at = (day: string, time: string) => zonedToInstant(day, time, "Europe/London");
    // Monday 09:00 booked, 09:30 held; Tuesday 11:30 booked (still inside the new hours).
    await query(app, `update slot set status = 'booked', version = version + 1 where rule_id = ? and starts_at in (?, ?)`, [ruleId, at(monday, "09:00"), at(addDays(monday, 1), "11:30")]);
    await query(app, `update slot set status = 'held', hold_expires_at = now() + interval '10 minutes', version = version + 1 where rule_id = ? and starts_at = ?`, [ruleId, at(monday, "09:30")]);
    const keptBefore = await query<{ id: string }>(app, `select id from slot where rule_id = ? and starts_at = ?`, [ruleId, at(monday, "11:00")]);

    const changed = await call(app, reception, "PATCH", `/availability-rules/${ruleId}`, { startTime: "10:00", endTime: "12:30" });
    expect(changed.status).toBe(200);
    const report = changed.body.materialisation;
    expect(report.conflicts.map((c: { status: string; start: string }) => [c.status, c.start]).sort()).toEqual(
      [["booked", at(monday, "09:00").toISOString()], ["held", at(monday, "09:30").toISOString()]].sort(),
    );
    // 10 days × 10:00…12:00 (5 slots): 10:00–12:00 kept (4 a day, less the booked one), 12:00 new;
    // the free 09:00/09:30 ones removed (20, less the booked and held on Monday).
    expect(report).toMatchObject({ kept: 39, created: 10, removed: 18 });
    expect(await count(app, `select count(*) n from slot where rule_id = ? and status = 'available'`, [ruleId])).toBe(49);
    expect(await count(app, `select count(*) n from slot where doctor_id = ? and status in ('booked', 'held')`, [doctor.doctorId])).toBe(3);
    const keptAfter = await query<{ id: string; version: number }>(app, `select id, version from slot where starts_at = ? and doctor_id = ?`, [at(monday, "11:00"), doctor.doctorId]);
    expect(keptAfter).toEqual([{ id: keptBefore[0]!.id, version: 1 }]);
    expect(await overlappingSlotPairs(app, doctor.doctorId)).toBe(0);

    const removed = await call(app, reception, "DELETE", `/availability-rules/${ruleId}`);
    expect(removed.status).toBe(200);
    expect(removed.body.materialisation.removed).toBe(49);
    expect(removed.body.materialisation.conflicts.map((c: { status: string; reason: string }) => `${c.status}:${c.reason}`).sort()).toEqual([
      "booked:rule_deleted",
      "booked:rule_deleted",
      "held:rule_deleted",
    ]);
    expect(await count(app, `select count(*) n from slot where doctor_id = ? and status = 'available'`, [doctor.doctorId])).toBe(0);
    expect(await count(app, `select count(*) n from slot where doctor_id = ? and status in ('booked','held') and rule_id is null`, [doctor.doctorId])).toBe(3);
    expect(await rulesOf(doctor.doctorId)).toBe(0);
  });

  it("preview lists every clash at once and writes nothing; create then refuses with 409", async () => {
    const doctor = await buildDoctor(app, [clinicA, clinicB]);
    const bAdmin = await buildPerson(app, "clinic_admin", { clinicIds: [clinicB] });
    const monday = mondayIn(1);
    // At clinic B: Tuesdays 11:00–13:00.
    const atB = await call(app, bAdmin, "POST", `/doctors/${doctor.doctorId}/availability-rules`, {
      ...weekdayRule(clinicB, { startTime: "11:00", endTime: "13:00" }),
      recurrence: { freq: "weekly", interval: 1, weekdays: [2] },
    });
    expect(atB.status).toBe(201);
    const em = fork(app);
    const day = (offset: number, time: string) => zonedToInstant(addDays(monday, offset), time, "Europe/London");
    em.create(Unavailability, { doctor: doctor.doctorId, clinic: null, kind: "vacation", startsAt: day(2, "00:00"), endsAt: day(3, "00:00"), reason: "leave" });
    em.create(Unavailability, { doctor: null, clinic: clinicA, kind: "holiday", startsAt: day(3, "00:00"), endsAt: day(4, "00:00"), reason: "bank holiday" });
    em.create(Unavailability, { doctor: doctor.doctorId, clinic: clinicB, kind: "surgery", startsAt: day(4, "10:00"), endsAt: day(4, "11:00"), reason: "theatre list" });
    // Leave at another clinic only does not concern clinic A.
    em.create(Unavailability, { doctor: doctor.doctorId, clinic: clinicB, kind: "conference", startsAt: day(0, "09:00"), endsAt: day(0, "10:00"), reason: null });
    await em.flush();
    const slotsBefore = await count(app, `select count(*) n from slot`);
    const rulesBefore = await count(app, `select count(*) n from availability_rule`);

    const preview = await call(app, admin, "POST", `/doctors/${doctor.doctorId}/availability-rules/preview`, weekdayRule(clinicA));
    expect(preview.status).toBe(200);
    const body = availabilityPreviewSchema.parse(preview.body);
    const types = body.conflicts.map((c) => c.type);
    expect(new Set(types)).toEqual(new Set(["slot", "doctor_leave", "clinic_closure", "surgery"]));
    const slotClashes = body.conflicts.filter((c) => c.type === "slot");
    expect(slotClashes).toHaveLength(2 * 2); // two Tuesdays × the 11:00 and 11:30 slots at B
    expect(slotClashes[0]).toMatchObject({ clinicId: clinicB, status: "available" });
    expect(slotClashes[0]!.clinicName).toBeTruthy();
    // Skipped: Wednesday (6) + Thursday (6) of week 1 + two surgery pieces on Friday.
    expect(body.skipped).toHaveLength(14);
    expect(body.slots.count).toBe(60 - 14);
    expect(await count(app, `select count(*) n from slot`)).toBe(slotsBefore);
    expect(await count(app, `select count(*) n from availability_rule`)).toBe(rulesBefore);

    const refused = await call(app, admin, "POST", `/doctors/${doctor.doctorId}/availability-rules`, weekdayRule(clinicA));
    expect([refused.status, refused.body.code]).toEqual([409, "SCHEDULE_CONFLICT"]);
    expect(refused.body.conflicts).toHaveLength(4);
    expect(await count(app, `select count(*) n from availability_rule`)).toBe(rulesBefore);
    const fits = await call(app, admin, "POST", `/doctors/${doctor.doctorId}/availability-rules`, weekdayRule(clinicA, { endTime: "11:00" }));
    expect(fits.status).toBe(201);
    expect(fits.body.materialisation.created).toBe(40 - 4 - 4 - 2);
    expect(await overlappingSlotPairs(app, doctor.doctorId)).toBe(0);
  });
});
