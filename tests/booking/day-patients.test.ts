/**
 * GET /doctors/:doctorId/day/patients: the names behind a doctor's day (the doctor's timeline names
 * its patients), with the same readers as GET /doctors/:doctorId/day.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dayPatientListSchema, localDateOf } from "@clinic/shared";
import type { TestApp } from "../support/harness";
import { createPerson } from "../support/identity";
import { appointmentAt, call, doctorAt, middayClinic, patientNamed, query, startQueueApp } from "../queue/queue-support";

describe("a doctor's day: patient names", () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startQueueApp();
  });
  afterAll(async () => app?.close());

  it("lists the day's patients for the doctor and the clinic's staff, nobody else", async () => {
    const clinic = await middayClinic(app);
    const otherClinic = await middayClinic(app);
    const doctor = await doctorAt(app, [clinic.id]);
    const ann = await patientNamed(app, "Ann Day");
    const bob = await patientNamed(app, "Bob Day");
    const cancelled = await patientNamed(app, "Cat Cancelled");
    await appointmentAt(app, { doctorId: doctor.doctorId, clinicId: clinic.id, patientId: ann.patientId, fromNowMinutes: 30 });
    await appointmentAt(app, { doctorId: doctor.doctorId, clinicId: clinic.id, patientId: bob.patientId, fromNowMinutes: 60 });
    const gone = await appointmentAt(app, { doctorId: doctor.doctorId, clinicId: clinic.id, patientId: cancelled.patientId, fromNowMinutes: 90 });
    await query(app, `update appointment set status = 'cancelled' where id = ?`, [gone]);
    const date = localDateOf(new Date(), clinic.timeZone);
    const path = `/doctors/${doctor.doctorId}/day/patients?date=${date}`;

    const mine = await call(app, doctor, "GET", path);
    expect(mine.status).toBe(200);
    expect(dayPatientListSchema.parse(mine.body).items).toEqual([
      { patientId: ann.patientId, fullName: "Ann Day" },
      { patientId: bob.patientId, fullName: "Bob Day" },
    ]);

    const reception = await createPerson(app.runtime, "receptionist", { clinicIds: [clinic.id] });
    expect((await call(app, reception, "GET", path)).body.items).toHaveLength(2);

    const elsewhere = await createPerson(app.runtime, "receptionist", { clinicIds: [otherClinic.id] });
    expect((await call(app, elsewhere, "GET", path)).status).toBe(403);
    expect((await call(app, ann, "GET", path)).status).toBe(403);
    expect((await call(app, null, "GET", path)).status).toBe(401);
    expect((await call(app, doctor, "GET", `/doctors/${doctor.doctorId}/day/patients?date=tomorrow`)).status).toBe(400);
  });
});
