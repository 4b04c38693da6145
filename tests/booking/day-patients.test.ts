/**
 * GET /doctors/:doctorId/day/patients: the names behind a doctor's day (the doctor's timeline names
 * its patients), with the same readers as GET /doctors/:doctorId/day.
 */
import { describe, expect, it } from "vitest";
import { dayPatientListSchema, localDateOf } from "@clinic/shared";
import { useApp } from "../support/harness";
import { buildAppointmentFromNow, buildDoctor, buildMiddayClinic, buildNamedPatient, buildPerson } from "../support/factories";
import { call } from "../support/api";
import { query } from "../support/db";

describe("a doctor's day: patient names", () => {
  const app = useApp();

  it("lists the day's patients for the doctor and the clinic's staff, nobody else", async () => {
    const clinic = await buildMiddayClinic(app);
    const otherClinic = await buildMiddayClinic(app);
    const doctor = await buildDoctor(app, [clinic.id]);
    const ann = await buildNamedPatient(app, "Ann Day");
    const bob = await buildNamedPatient(app, "Bob Day");
    const cancelled = await buildNamedPatient(app, "Cat Cancelled");
    await buildAppointmentFromNow(app, { doctorId: doctor.doctorId, clinicId: clinic.id, patientId: ann.patientId, fromNowMinutes: 30 });
    await buildAppointmentFromNow(app, { doctorId: doctor.doctorId, clinicId: clinic.id, patientId: bob.patientId, fromNowMinutes: 60 });
    const gone = (await buildAppointmentFromNow(app, { doctorId: doctor.doctorId, clinicId: clinic.id, patientId: cancelled.patientId, fromNowMinutes: 90 })).id;
    await query(app, `update appointment set status = 'cancelled' where id = ?`, [gone]);
    const date = localDateOf(new Date(), clinic.timeZone);
    const path = `/doctors/${doctor.doctorId}/day/patients?date=${date}`;

    const mine = await call(app, doctor, "GET", path);
    expect(mine.status).toBe(200);
    expect(dayPatientListSchema.parse(mine.body).items).toEqual([
      { patientId: ann.patientId, fullName: "Ann Day" },
      { patientId: bob.patientId, fullName: "Bob Day" },
    ]);

    const reception = await buildPerson(app, "receptionist", { clinicIds: [clinic.id] });
    expect((await call(app, reception, "GET", path)).body.items).toHaveLength(2);

    const elsewhere = await buildPerson(app, "receptionist", { clinicIds: [otherClinic.id] });
    expect((await call(app, elsewhere, "GET", path)).status).toBe(403);
    expect((await call(app, ann, "GET", path)).status).toBe(403);
    expect((await call(app, null, "GET", path)).status).toBe(401);
    expect((await call(app, doctor, "GET", `/doctors/${doctor.doctorId}/day/patients?date=tomorrow`)).status).toBe(400);
  });
});
