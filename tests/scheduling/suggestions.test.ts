/** GET /slots/suggestions and GET /clinics/:clinicId/underused-blocks. */
import { randomUUID } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { addDays, localDateOf, slotSuggestionsSchema, underusedBlockListSchema, zonedToInstant } from "@clinic/shared";
import { readJson, useApp } from "../support/harness";
import { buildClinic, buildDoctors, buildPerson, buildSlotGrid, buildSpecialty, type TestPerson } from "../support/factories";
import { query } from "../support/db";

const zone = "Europe/London";

describe("suggestions", () => {
  const app = useApp();
  let clinicId: string;
  let specialty: string;
  let a: string, b: string, c: string, unlisted: string, other: string;
  let patient: TestPerson;
  let otherPatient: TestPerson;
  let platformAdmin: TestPerson;
  let reception: TestPerson;
  const tomorrow = addDays(localDateOf(new Date(), zone), 1);
  const dayAfter = addDays(tomorrow, 1);

  beforeAll(async () => {
    clinicId = (await buildClinic(app)).id;
    specialty = await buildSpecialty(app);
    const otherSpecialty = await buildSpecialty(app);
    [a, b, c, unlisted, other] = await buildDoctors(app, [
      { clinicIds: [clinicId], specialtyIds: [specialty], displayName: "Dr A" },
      { clinicIds: [clinicId], specialtyIds: [specialty], displayName: "Dr B" },
      { clinicIds: [clinicId], specialtyIds: [specialty], displayName: "Dr C" },
      { clinicIds: [clinicId], specialtyIds: [specialty], approved: false },
      { clinicIds: [clinicId], specialtyIds: [otherSpecialty] },
    ]) as [string, string, string, string, string];
    await buildSlotGrid(app, { doctorIds: [a], clinicId, firstDay: dayAfter, days: 1, perDay: 4 });
    await buildSlotGrid(app, { doctorIds: [b], clinicId, firstDay: tomorrow, days: 1, perDay: 2 });
    await buildSlotGrid(app, { doctorIds: [c], clinicId, firstDay: tomorrow, days: 1, perDay: 8, startTime: "14:00" });
    await buildSlotGrid(app, { doctorIds: [unlisted, other], clinicId, firstDay: tomorrow, days: 1, perDay: 8, startTime: "07:00" });
    patient = await buildPerson(app, "patient");
    otherPatient = await buildPerson(app, "patient");
    platformAdmin = await buildPerson(app, "platform_admin");
    reception = await buildPerson(app, "receptionist", { clinicIds: [clinicId] });
    // The patient's booking history: an allocation at 14:10 London time a week ago.
    const lastWeek = addDays(localDateOf(new Date(), zone), -7);
    const blockId = randomUUID();
    await query(
      app,
      `insert into elastic_block (id, doctor_id, clinic_id, starts_at, ends_at, capacity_minutes) values (?, ?, ?, ?, ?, 60)`,
      [blockId, a, clinicId, zonedToInstant(lastWeek, "14:00", zone), zonedToInstant(lastWeek, "15:00", zone)],
    );
    await query(
      app,
      `insert into elastic_allocation (id, block_id, patient_id, duration_minutes, position, expected_start_at, status) values (?, ?, ?, 20, 0, ?, 'confirmed')`,
      [randomUUID(), blockId, patient.patientId, zonedToInstant(lastWeek, "14:10", zone)],
    );
  });

  const suggest = (query: Record<string, string>, headers: Record<string, string> = {}) =>
    fetch(`${app.url}/api/v1/slots/suggestions?${new URLSearchParams(query)}`, { headers });

  it("suggests each listed doctor's earliest slot, and the doctor with the most free time", async () => {
    const body = await readJson(await suggest({ specialty }), slotSuggestionsSchema);
    expect(body.earliestFit.map((s) => [s.doctorId, s.start])).toEqual([
      [b, zonedToInstant(tomorrow, "09:00", zone).toISOString()],
      [c, zonedToInstant(tomorrow, "14:00", zone).toISOString()],
      [a, zonedToInstant(dayAfter, "09:00", zone).toISOString()],
    ]);
    expect(body.leastLoadedDoctor).toEqual({ doctorId: c, displayName: "Dr C", freeMinutes: 240 });
    expect(body.preferredTimes).toEqual([]);
  });

  it("suggests slots at the hours the patient booked before, for people who may read the patient", async () => {
    const own = await readJson(await suggest({ specialty, patientId: patient.patientId! }, patient.headers), slotSuggestionsSchema);
    expect(own.preferredTimes.map((s) => s.start)).toEqual(
      ["14:00", "14:30"].map((t) => zonedToInstant(tomorrow, t, zone).toISOString()),
    );
    const before = await query<{ n: number }>(app, `select count(*)::int as n from audit_event where action = 'patient.read' and entity_id = ?`, [patient.patientId]);
    expect(before[0]!.n).toBe(0); // the patient reading their own history is not recorded
    const byAdmin = await readJson(await suggest({ specialty, patientId: patient.patientId! }, platformAdmin.headers), slotSuggestionsSchema);
    expect(byAdmin.preferredTimes.length).toBe(2);
    const after = await query<{ n: number }>(app, `select count(*)::int as n from audit_event where action = 'patient.read' and entity_id = ?`, [patient.patientId]);
    expect(after[0]!.n).toBe(1);

    expect((await suggest({ specialty, patientId: patient.patientId! })).status).toBe(401);
    expect((await suggest({ specialty, patientId: patient.patientId! }, otherPatient.headers)).status).toBe(404);
    expect((await suggest({ specialty, patientId: patient.patientId! }, reception.headers)).status).toBe(404);
  });

  it("refuses bad input naming the field", async () => {
    const missing = await suggest({});
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as { errors: { field: string }[] }).errors[0]?.field).toBe("query.specialty");
    const bad = await suggest({ specialty, patientId: "nobody" });
    expect(((await bad.json()) as { errors: { field: string }[] }).errors[0]?.field).toBe("query.patientId");
  });

  it("lists under-used hours and days to the clinic's staff only", async () => {
    const first = await query<{ id: string }>(app, `select id from slot where doctor_id = ? order by starts_at limit 1`, [a]);
    await query(app, `update slot set status = 'booked' where id = ?`, [first[0]!.id]);
    const url = (by: string) => `${app.url}/api/v1/clinics/${clinicId}/underused-blocks?from=${tomorrow}&to=${dayAfter}&by=${by}`;
    const days = await readJson(await fetch(url("day"), { headers: reception.headers }), underusedBlockListSchema);
    expect(days.items.find((row) => row.doctorId === a)).toEqual({ doctorId: a, date: dayAfter, hour: null, slots: 4, booked: 1, bookedRatio: 0.25 });
    const hours = await readJson(await fetch(url("hour"), { headers: reception.headers }), underusedBlockListSchema);
    const aHours = hours.items.filter((row) => row.doctorId === a).map((row) => row.hour);
    expect(aHours).toEqual([10]); // 09:00–10:00 is half booked
    expect(hours.items.filter((row) => row.doctorId === c).map((row) => row.hour)).toEqual([14, 15, 16, 17]);
    expect((await fetch(url("day"), { headers: patient.headers })).status).toBe(403);
    expect((await fetch(url("day"))).status).toBe(401);
    const bad = await fetch(`${app.url}/api/v1/clinics/${clinicId}/underused-blocks?from=${dayAfter}&to=${tomorrow}`, { headers: reception.headers });
    expect(bad.status).toBe(400);
  });
});
