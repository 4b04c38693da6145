/** GET /clinics/:clinicId/queue/patients: reception finds the clinic's patients by name or phone and resolves names by id. */
import { describe, expect, it } from "vitest";
import { patientLookupReplySchema } from "@clinic/shared";
import { useApp } from "../support/harness";
import { buildAppointmentFromNow, buildDoctor, buildMiddayClinic, buildNamedPatient, buildPerson } from "../support/factories";
import { call } from "../support/api";

describe("reception patient lookup", () => {
  const app = useApp();

  it("finds patients known to the clinic by name or phone digits, resolves ids, and hides other clinics' patients", async () => {
    const clinic = await buildMiddayClinic(app);
    const other = await buildMiddayClinic(app);
    const doctor = await buildDoctor(app, [clinic.id, other.id]);
    const reception = await buildPerson(app, "receptionist", { clinicIds: [clinic.id] });
    const known = await buildNamedPatient(app, "Ottoline 100% Fairweather");
    const elsewhere = await buildNamedPatient(app, "Ottoline Elsewhere");
    await buildAppointmentFromNow(app, { doctorId: doctor.doctorId, clinicId: clinic.id, patientId: known.patientId, fromNowMinutes: 30 });
    await buildAppointmentFromNow(app, { doctorId: doctor.doctorId, clinicId: other.id, patientId: elsewhere.patientId, fromNowMinutes: 30 });

    const byName = await call(app, reception, "GET", `/clinics/${clinic.id}/queue/patients?q=ottoline`);
    expect(byName.status).toBe(200);
    expect(patientLookupReplySchema.parse(byName.body).items).toEqual([{ id: known.patientId, fullName: known.name, phone: known.phone }]);
    // Wildcards typed by a person are literal.
    expect((await call(app, reception, "GET", `/clinics/${clinic.id}/queue/patients?q=${encodeURIComponent("0%")}`)).body.items).toHaveLength(1);
    expect((await call(app, reception, "GET", `/clinics/${clinic.id}/queue/patients?q=${encodeURIComponent("%Fair")}`)).body.items).toHaveLength(0);
    const byPhone = await call(app, reception, "GET", `/clinics/${clinic.id}/queue/patients?q=${encodeURIComponent(known.phone.slice(-6))}`);
    expect(byPhone.body.items.map((p: { id: string }) => p.id)).toEqual([known.patientId]);

    const byIds = await call(app, reception, "GET", `/clinics/${clinic.id}/queue/patients?ids=${known.patientId},${elsewhere.patientId}`);
    expect(byIds.body.items.map((p: { fullName: string }) => p.fullName)).toEqual([known.name]);
  });

  it("is for the clinic's staff only and names a bad query", async () => {
    const clinic = await buildMiddayClinic(app);
    const outsider = await buildPerson(app, "receptionist", { clinicIds: [(await buildMiddayClinic(app)).id] });
    const patient = await buildPerson(app, "patient");
    const reception = await buildPerson(app, "receptionist", { clinicIds: [clinic.id] });
    expect((await call(app, outsider, "GET", `/clinics/${clinic.id}/queue/patients?q=ab`)).status).toBe(403);
    expect((await call(app, patient, "GET", `/clinics/${clinic.id}/queue/patients?q=ab`)).status).toBe(403);
    const neither = await call(app, reception, "GET", `/clinics/${clinic.id}/queue/patients`);
    expect(neither.status).toBe(400);
    expect(JSON.stringify(neither.body)).toContain("query.q");
    expect((await call(app, reception, "GET", `/clinics/${clinic.id}/queue/patients?ids=nope`)).status).toBe(400);
  });
});
