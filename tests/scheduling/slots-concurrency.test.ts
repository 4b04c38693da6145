/**
 * Races: two rules for one doctor at two clinics created at once (the exclusion constraint decides),
 * and parallel overbooks against a daily cap (the advisory lock decides).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { addDays, zonedToInstant } from "@clinic/shared";
import { useApp } from "../support/harness";
import { buildClinic, buildDoctor, buildPerson, type TestPerson, weekdayRule } from "../support/factories";
import { call } from "../support/api";
import { count, overlappingSlotPairs } from "../support/db";
import { mondayIn } from "../support/dates";

describe("scheduling races", () => {
  const app = useApp();
  let clinicA: string;
  let clinicB: string;
  let adminA: TestPerson;
  let adminB: TestPerson;

  beforeAll(async () => {
    clinicA = (await buildClinic(app)).id;
    clinicB = (await buildClinic(app, { timeZone: "Europe/Dublin" })).id;
    adminA = await buildPerson(app, "clinic_admin", { clinicIds: [clinicA] });
    adminB = await buildPerson(app, "clinic_admin", { clinicIds: [clinicB] });
  });

  it("two overlapping rules at two clinics created at once: one 201, one 409, no overlapping slots", async () => {
    for (let round = 0; round < 4; round++) {
      const doctor = await buildDoctor(app, [clinicA, clinicB]);
      const replies = await Promise.all([
        call(app, adminA, "POST", `/doctors/${doctor.doctorId}/availability-rules`, weekdayRule(clinicA)),
        call(app, adminB, "POST", `/doctors/${doctor.doctorId}/availability-rules`, weekdayRule(clinicB, { startTime: "10:00", endTime: "13:00" })),
      ]);
      const statuses = replies.map((r) => r.status).sort();
      expect(statuses).toEqual([201, 409]);
      const lost = replies.find((r) => r.status === 409)!;
      expect(["SCHEDULE_CONFLICT", "SLOT_CONFLICT"]).toContain(lost.body.code);
      expect(lost.body.conflicts.length).toBeGreaterThan(0);
      expect(lost.body.conflicts[0].slotId).toBeTruthy();
      expect(await overlappingSlotPairs(app, doctor.doctorId)).toBe(0);
      expect(await count(app, `select count(*) n from availability_rule where doctor_id = ?`, [doctor.doctorId])).toBe(1);
      expect(await count(app, `select count(*) n from slot where doctor_id = ?`, [doctor.doctorId])).toBe(60);
    }
  });

  it("overbooking needs a policy, and N parallel overbooks with cap 2 let exactly 2 through", async () => {
    const doctor = await buildDoctor(app, [clinicA]);
    const rule = await call(app, adminA, "POST", `/doctors/${doctor.doctorId}/availability-rules`, weekdayRule(clinicA));
    expect(rule.status).toBe(201);
    const day = addDays(mondayIn(1), 2);
    const body = (minute: string) => ({
      clinicId: clinicA,
      startsAt: zonedToInstant(day, `10:${minute}`, "Europe/London").toISOString(),
      endsAt: zonedToInstant(day, "10:45", "Europe/London").toISOString(),
      reason: "urgent review",
    });
    const path = `/doctors/${doctor.doctorId}/slots/overbook`;
    const none = await call(app, adminA, "POST", path, body("15"));
    expect([none.status, none.body.code]).toEqual([422, "OVERBOOKING_NOT_ALLOWED"]);

    const reception = await buildPerson(app, "receptionist", { clinicIds: [clinicA] });
    expect((await call(app, reception, "POST", `/clinics/${clinicA}/overbooking-policies`, { doctorId: doctor.doctorId, capPerDay: 2, reason: "x" })).status).toBe(403);
    const policy = await call(app, adminA, "POST", `/clinics/${clinicA}/overbooking-policies`, { doctorId: doctor.doctorId, capPerDay: 2, reason: "winter pressure" });
    expect(policy.status).toBe(201);
    expect(policy.body).toMatchObject({ doctorId: doctor.doctorId, capPerDay: 2, allowedBy: adminA.user.id });

    const replies = await Promise.all(["00", "05", "10", "15", "20", "25"].map((m) => call(app, reception, "POST", path, body(m))));
    const won = replies.filter((r) => r.status === 201);
    const lost = replies.filter((r) => r.status !== 201);
    expect(won).toHaveLength(2);
    expect(lost.map((r) => r.body.code)).toEqual(Array(4).fill("OVERBOOKING_CAP_REACHED"));
    expect(won[0]!.body).toMatchObject({ overbooked: true, overbookedBy: reception.user.id, overbookReason: "urgent review", version: 1 });
    expect(await count(app, `select count(*) n from slot where doctor_id = ? and overbooked`, [doctor.doctorId])).toBe(2);
    expect(await count(app, `select count(*) n from audit_event where action = 'schedule.slot.overbook' and clinic_id = ?`, [clinicA])).toBe(2);
    // Another day has its own cap.
    const next = await call(app, reception, "POST", path, {
      ...body("00"),
      startsAt: zonedToInstant(addDays(day, 1), "10:00", "Europe/London").toISOString(),
      endsAt: zonedToInstant(addDays(day, 1), "10:20", "Europe/London").toISOString(),
    });
    expect(next.status).toBe(201);
    const patient = await buildPerson(app, "patient");
    expect((await call(app, patient, "POST", path, body("30"))).status).toBe(403);
  });
});
