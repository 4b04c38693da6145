/** Booking rules over HTTP: CRUD by clinic admins only (audited), scope checks, and the check route. */
import { beforeAll, describe, expect, it } from "vitest";
import { bookingRuleCheckReplySchema, bookingRuleListSchema, bookingRuleSchema } from "@clinic/shared";
import { readJson, useApp } from "../support/harness";
import { buildClinic, buildClinicService, buildPerson, buildSlotGrid, type TestPerson } from "../support/factories";
import { query } from "../support/db";
import { request } from "../support/api";

describe("booking rules routes", () => {
  const app = useApp();
  let clinicId: string;
  let otherClinicId: string;
  let admin: TestPerson;
  let otherAdmin: TestPerson;
  let reception: TestPerson;
  let patient: TestPerson;
  let doctor: TestPerson;
  let serviceId: string;

  const send = (method: string, path: string, person: TestPerson | null, body?: unknown) => request(app, person, method, path, body);

  beforeAll(async () => {
    clinicId = (await buildClinic(app)).id;
    otherClinicId = (await buildClinic(app)).id;
    admin = await buildPerson(app, "clinic_admin", { clinicIds: [clinicId] });
    otherAdmin = await buildPerson(app, "clinic_admin", { clinicIds: [otherClinicId] });
    reception = await buildPerson(app, "receptionist", { clinicIds: [clinicId] });
    patient = await buildPerson(app, "patient");
    doctor = await buildPerson(app, "doctor", { clinicIds: [clinicId] });
    serviceId = await buildClinicService(app, clinicId, 30);
  });

  it("lets only the clinic's admins create, list, change and delete rules, each audited", async () => {
    const spec = { type: "maxAppointmentsPerDay", max: 3 };
    for (const person of [null, patient, reception, otherAdmin, doctor]) {
      expect((await send("POST", `/clinics/${clinicId}/booking-rules`, person, { spec })).status).toBe(person ? 403 : 401);
    }
    const created = await send("POST", `/clinics/${clinicId}/booking-rules`, admin, { spec, doctorId: doctor.doctorId, serviceId });
    expect(created.status).toBe(201);
    const rule = await readJson(created, bookingRuleSchema);
    expect(rule).toMatchObject({ clinicId, doctorId: doctor.doctorId, serviceId, spec, active: true });

    const list = await readJson(await send("GET", `/clinics/${clinicId}/booking-rules`, admin), bookingRuleListSchema);
    expect(list.items.map((r) => r.id)).toEqual([rule.id]);
    expect((await send("GET", `/clinics/${clinicId}/booking-rules`, reception)).status).toBe(403);

    expect((await send("PATCH", `/booking-rules/${rule.id}`, otherAdmin, { active: false })).status).toBe(403);
    const changed = await readJson(await send("PATCH", `/booking-rules/${rule.id}`, admin, { active: false, doctorId: null }), bookingRuleSchema);
    expect(changed).toMatchObject({ active: false, doctorId: null, serviceId });

    expect((await send("DELETE", `/booking-rules/${rule.id}`, otherAdmin)).status).toBe(403);
    expect((await send("DELETE", `/booking-rules/${rule.id}`, admin)).status).toBe(204);
    expect((await send("DELETE", `/booking-rules/${rule.id}`, admin)).status).toBe(404);
    const actions = await query<{ action: string }>(app, `select action from audit_event where entity_id = ? order by id`, [rule.id]);
    expect(actions.map((a) => a.action)).toEqual(["scheduling.booking_rule.create", "scheduling.booking_rule.update", "scheduling.booking_rule.delete"]);
  });

  it("refuses a scope outside the clinic and bad specs with the field named", async () => {
    const stranger = await buildPerson(app, "doctor", { clinicIds: [otherClinicId] });
    const outside = await send("POST", `/clinics/${clinicId}/booking-rules`, admin, { spec: { type: "minGapMinutes", minutes: 5 }, doctorId: stranger.doctorId });
    expect(outside.status).toBe(422);
    const bad = await send("POST", `/clinics/${clinicId}/booking-rules`, admin, { spec: { type: "minGapMinutes", minutes: -5 } });
    expect(bad.status).toBe(400);
    const fields = ((await bad.json()) as { errors: { field: string }[] }).errors.map((e) => e.field);
    expect(fields.some((f) => f.startsWith("body.spec"))).toBe(true);
    const unknown = await send("POST", `/clinics/${clinicId}/booking-rules`, admin, { spec: { type: "noFridays" } });
    expect(unknown.status).toBe(400);
  });

  it("checks a slot against every active rule that applies and reports all violations", async () => {
    // The doctor's day (London, GMT in January): slots 09:00–11:00 every 30 minutes.
    await buildSlotGrid(app, { doctorIds: [doctor.doctorId!], clinicId, firstDay: "2027-01-20", days: 1, perDay: 4, serviceId });
    const slots = await query<{ id: string }>(app, `select id from slot where doctor_id = ? order by starts_at`, [doctor.doctorId]);
    // 09:00 is booked, 09:30 is held (live): both count as the doctor's appointments that day.
    await query(app, `update slot set status = 'booked' where id = ?`, [slots[0]!.id]);
    await query(app, `update slot set status = 'held', hold_expires_at = now() + interval '1 hour' where id = ?`, [slots[1]!.id]);
    const rules = [
      { spec: { type: "maxAppointmentsPerDay", max: 2 } },
      { spec: { type: "minGapMinutes", minutes: 10 }, doctorId: doctor.doctorId },
      { spec: { type: "maxActiveBookingsPerPatient", max: 2 }, serviceId },
      { spec: { type: "maxDaysInAdvance", days: 730 } },
      { spec: { type: "minNoticeMinutes", minutes: 5 }, active: false },
    ];
    const ids: string[] = [];
    for (const body of rules) {
      const response = await send("POST", `/clinics/${clinicId}/booking-rules`, admin, body);
      expect(response.status).toBe(201);
      ids.push(((await response.json()) as { id: string }).id);
    }
    const check = async (slotId: string, extra: Record<string, unknown> = {}) => {
      const response = await send("POST", `/clinics/${clinicId}/booking-rules/check`, patient, { slotId, ...extra });
      expect(response.status, await response.clone().text()).toBe(200);
      return (await readJson(response, bookingRuleCheckReplySchema)).violations;
    };
    const at10 = await check(slots[2]!.id, { patientActiveBookings: 2 });
    expect(at10.map((v) => v.ruleId)).toEqual([ids[0], ids[1], ids[2]]);
    expect(at10.map((v) => v.type)).toEqual(["maxAppointmentsPerDay", "minGapMinutes", "maxActiveBookingsPerPatient"]);
    const at1030 = await check(slots[3]!.id);
    expect(at1030.map((v) => v.type)).toEqual(["maxAppointmentsPerDay"]);

    expect((await send("POST", `/clinics/${clinicId}/booking-rules/check`, null, { slotId: slots[3]!.id })).status).toBe(401);
    expect((await send("POST", `/clinics/${otherClinicId}/booking-rules/check`, patient, { slotId: slots[3]!.id })).status).toBe(404);
    const bad = await send("POST", `/clinics/${clinicId}/booking-rules/check`, patient, { slotId: "x" });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { errors: { field: string }[] }).errors[0]?.field).toBe("body.slotId");
  });
});
