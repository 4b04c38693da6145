/**
 * Directory behaviour end to end: doctor approval, audit records (before/after and patient reads),
 * account deactivation, clinics and branches, clinic services, and the OpenAPI output.
 */
import { randomUUID } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import type { EntityManager } from "@mikro-orm/postgresql";
import {
  accountStatusSchema,
  clinicListSchema,
  clinicSchema,
  clinicServiceListSchema,
  clinicServiceSchema,
  doctorPageSchema,
  doctorSchema,
  patientListSchema,
  patientSchema,
  problemSchema,
} from "@clinic/shared";
import { DoctorPatient } from "../../server/src/modules/directory/patient.entity";
import { readJson, useApp } from "../support/harness";
import { buildClinic, buildPerson, type TestPerson } from "../support/factories";
import { PDF_BYTES, request, uploadDocument } from "../support/api";
import { query } from "../support/db";

interface AuditRow {
  action: string;
  actor_id: string | null;
  entity_id: string | null;
  clinic_id: string | null;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
}

describe("directory flows", () => {
  const app = useApp();
  let admin: TestPerson;

  beforeAll(async () => {
    admin = await buildPerson(app, "platform_admin");
  });

  const audits = (where: string, params: unknown[]) => query<AuditRow>(app, `select * from audit_event where ${where} order by id`, params);
  const call = (person: TestPerson | undefined, method: string, path: string, body?: unknown) => request(app, person, method, path, body);
  const search = async (q: string) =>
    (await readJson(await call(undefined, "GET", `/doctors?q=${encodeURIComponent(q)}`), doctorPageSchema)).items.map((d) => d.id);

  it("takes a doctor from pending to listed, back out on rejection, and to review again on resubmission", async () => {
    const clinic = await buildClinic(app);
    const doctor = await buildPerson(app, "doctor", { clinicIds: [clinic.id], approved: false });
    const id = doctor.doctorId!;
    const name = `Dr Flow ${randomUUID().slice(0, 8)}`;
    expect((await call(doctor, "PATCH", `/doctors/${id}/profile`, { displayName: name, languages: ["EN", "bn"] })).status).toBe(200);

    expect(await search(name)).toEqual([]);
    expect((await call(undefined, "GET", `/doctors/${id}`)).status).toBe(404);
    const early = await call(admin, "POST", `/doctors/${id}/approve`);
    expect(early.status).toBe(422);
    expect(problemSchema.parse(await early.json()).code).toBe("CREDENTIALS_MISSING");

    const credentials = { registrationBody: "General Medical Council", registrationNumber: "7654321", qualifications: ["MBBS"] };
    const submitted = await readJson(await call(doctor, "POST", `/doctors/${id}/credentials`, credentials), doctorSchema);
    expect(submitted.approval).toMatchObject({ status: "pending", credentials: { ...credentials, submittedAt: expect.any(String) } });
    // Approval needs a document to look at.
    const undocumented = await call(admin, "POST", `/doctors/${id}/approve`);
    expect([undocumented.status, problemSchema.parse(await undocumented.json()).code]).toEqual([422, "DOCUMENTS_MISSING"]);
    expect((await uploadDocument(app, doctor, id, "registration", "gmc.pdf", PDF_BYTES)).status).toBe(201);

    const approved = await readJson(await call(admin, "POST", `/doctors/${id}/approve`), doctorSchema);
    expect(approved).toMatchObject({ listed: true, languages: ["en", "bn"], approval: { status: "approved" } });
    expect(await search(name)).toEqual([id]);
    const publicView = await readJson(await call(undefined, "GET", `/doctors/${id}`), doctorSchema);
    expect(publicView.listed).toBe(true);
    expect(publicView).not.toHaveProperty("approval"); // credentials are not public
    expect((await call(admin, "POST", `/doctors/${id}/approve`)).status).toBe(409);

    const rejected = await readJson(await call(admin, "POST", `/doctors/${id}/reject`, { note: "Registration lapsed" }), doctorSchema);
    expect(rejected).toMatchObject({ listed: false, approval: { status: "rejected", note: "Registration lapsed" } });
    expect(await search(name)).toEqual([]);
    expect((await call(undefined, "GET", `/doctors/${id}`)).status).toBe(404);
    const own = await readJson(await call(doctor, "GET", `/doctors/${id}`), doctorSchema);
    expect(own.approval?.note).toBe("Registration lapsed");

    const again = await readJson(
      await call(doctor, "POST", `/doctors/${id}/credentials`, { ...credentials, registrationNumber: "7654322" }),
      doctorSchema,
    );
    expect(again.approval).toMatchObject({ status: "pending", note: null, credentials: { registrationNumber: "7654322" } });
    await readJson(await call(admin, "POST", `/doctors/${id}/approve`, { note: "Renewed" }), doctorSchema);
    expect(await search(name)).toEqual([id]);

    const trail = await audits(`entity_type = 'Doctor' and entity_id = ?`, [id]);
    expect(trail.map((row) => row.action)).toEqual([
      "doctor.profile.update",
      "doctor.credentials.submit",
      "doctor.document.upload",
      "doctor.approve",
      "doctor.reject",
      "doctor.credentials.submit",
      "doctor.approve",
    ]);
    const rejection = trail[4]!;
    expect(rejection.actor_id).toBe(admin.user.id);
    expect(rejection.before).toMatchObject({ approval: { status: "approved" } });
    expect(rejection.after).toMatchObject({ approval: { status: "rejected", note: "Registration lapsed" } });
  });

  it("records a PATCH with the entity before and after, in the clinic's audit trail", async () => {
    const clinic = await buildClinic(app);
    const clinicAdmin = await buildPerson(app, "clinic_admin", { clinicIds: [clinic.id] });
    const response = await call(clinicAdmin, "PATCH", `/clinics/${clinic.id}`, { name: "Renamed Clinic", phone: "+447700900123" });
    expect((await readJson(response, clinicSchema)).name).toBe("Renamed Clinic");
    const [row, ...rest] = await audits(`action = 'clinic.update' and entity_id = ?`, [clinic.id]);
    expect(rest).toEqual([]);
    expect(row).toMatchObject({
      actor_id: clinicAdmin.user.id,
      clinic_id: clinic.id,
      before: { name: clinic.name, phone: null },
      after: { name: "Renamed Clinic", phone: "+447700900123" },
    });

    const patient = await buildPerson(app, "patient");
    await readJson(await call(admin, "PATCH", `/patients/${patient.patientId}/tier`, { tier: "standardPlus" }), patientSchema);
    const [tier] = await audits(`action = 'patient.tier.update' and entity_id = ?`, [patient.patientId]);
    expect(tier).toMatchObject({ before: { subscriptionTier: "none" }, after: { subscriptionTier: "standardPlus" } });
  });

  it("records every read of a patient by someone other than the patient as patient.read", async () => {
    const clinic = await buildClinic(app);
    const doctor = await buildPerson(app, "doctor", { clinicIds: [clinic.id] });
    const receptionist = await buildPerson(app, "receptionist", { clinicIds: [clinic.id] });
    const patient = await buildPerson(app, "patient");
    const em = app.runtime.orm.em.fork() as EntityManager;
    em.create(DoctorPatient, { doctor: doctor.doctorId!, patient: patient.patientId! });
    await em.flush();
    const reads = () => audits(`action = 'patient.read' and entity_id = ?`, [patient.patientId]);

    await readJson(await call(patient, "GET", `/patients/${patient.patientId}`), patientSchema);
    await readJson(await call(patient, "GET", `/patients/me`), patientSchema);
    expect(await reads()).toEqual([]);

    await readJson(await call(doctor, "GET", `/patients/${patient.patientId}`), patientSchema);
    await readJson(await call(receptionist, "GET", `/patients/${patient.patientId}`), patientSchema);
    const listed = await readJson(await call(receptionist, "GET", `/doctors/${doctor.doctorId}/patients`), patientListSchema);
    expect(listed.items.map((item) => item.id)).toEqual([patient.patientId]);
    expect((await reads()).map((row) => row.actor_id)).toEqual([doctor.user.id, receptionist.user.id, receptionist.user.id]);

    // A refused read is not a read.
    const stranger = await buildPerson(app, "doctor");
    expect((await call(stranger, "GET", `/patients/${patient.patientId}`)).status).toBe(404);
    expect(await reads()).toHaveLength(3);
  });

  it("lets a patient edit their own profile, audited", async () => {
    const patient = await buildPerson(app, "patient");
    const changed = await readJson(
      await call(patient, "PATCH", "/patients/me", {
        fullName: "Asha Roy",
        dateOfBirth: "1990-04-01",
        preferredLanguage: "bn",
        reminderPreferences: { email: false, sms: true, push: false, inApp: true },
      }),
      patientSchema,
    );
    expect(changed).toMatchObject({ fullName: "Asha Roy", dateOfBirth: "1990-04-01", preferredLanguage: "bn", reminderPreferences: { sms: true } });
    const [row] = await audits(`action = 'patient.update' and entity_id = ?`, [patient.patientId]);
    expect(row).toMatchObject({ actor_id: patient.user.id, before: { dateOfBirth: null }, after: { dateOfBirth: "1990-04-01" } });
  });

  it("deactivates an account: its sessions are revoked at once and a doctor leaves the listing", async () => {
    const doctor = await buildPerson(app, "doctor");
    const name = `Dr Gone ${randomUUID().slice(0, 8)}`;
    await call(doctor, "PATCH", `/doctors/${doctor.doctorId}/profile`, { displayName: name });
    expect(await search(name)).toEqual([doctor.doctorId]);

    const result = await readJson(await call(admin, "POST", `/users/${doctor.user.id}/deactivate`), accountStatusSchema);
    expect(result).toEqual({ id: doctor.user.id, role: "doctor", status: "deactivated", sessionsRevoked: 1 });
    const sessions = await query<{ revoked_at: string | null; revoked_reason: string | null }>(
      app,
      `select revoked_at, revoked_reason from auth_session where user_id = ?`,
      [doctor.user.id],
    );
    expect(sessions).toEqual([{ revoked_at: expect.any(String), revoked_reason: "account_deactivated" }]);
    expect((await call(doctor, "GET", `/doctors/${doctor.doctorId}`)).status).toBe(401);
    expect(await search(name)).toEqual([]);

    const back = await readJson(await call(admin, "POST", `/users/${doctor.user.id}/activate`), accountStatusSchema);
    expect(back).toMatchObject({ status: "active", sessionsRevoked: 0 });
    expect(await search(name)).toEqual([doctor.doctorId]);
    expect((await call(doctor, "GET", `/doctors/${doctor.doctorId}`)).status).toBe(401); // old sessions stay ended
    expect((await audits(`entity_type = 'UserAccount' and entity_id = ?`, [doctor.user.id])).map((r) => r.action)).toEqual([
      "user.deactivate",
      "user.activate",
    ]);

    const self = await call(admin, "POST", `/users/${admin.user.id}/deactivate`);
    expect(self.status).toBe(422);
  });

  it("creates clinics and branches with unique slugs, and hides deactivated ones from the public", async () => {
    const slug = `north-${randomUUID().slice(0, 8)}`;
    const body = { name: "North Clinic", slug, timeZone: "Asia/Kolkata", address: "1 High St", email: "north@test.clinic" };
    const created = await readJson(await call(admin, "POST", "/clinics", body), clinicSchema);
    expect(created).toMatchObject({ ...body, active: true, parentClinicId: null, settings: { patientCancelCutoffHours: 24 } });
    const clash = await call(admin, "POST", "/clinics", { ...body, name: "Other" });
    expect(clash.status).toBe(409);
    expect(problemSchema.parse(await clash.json()).code).toBe("SLUG_TAKEN");

    const branch = await readJson(
      await call(admin, "POST", "/clinics", { name: "North Clinic Branch Ümlaut", timeZone: "Asia/Kolkata", parentClinicId: created.id }),
      clinicSchema,
    );
    expect(branch).toMatchObject({ parentClinicId: created.id, slug: "north-clinic-branch-umlaut" });
    const cycle = await call(admin, "PATCH", `/clinics/${created.id}`, { parentClinicId: branch.id });
    expect(problemSchema.parse(await cycle.json()).code).toBe("PARENT_CYCLE");

    const listed = await readJson(await call(undefined, "GET", "/clinics"), clinicListSchema);
    expect(listed.items.find((c) => c.id === branch.id)).toMatchObject({ parentClinicId: created.id, timeZone: "Asia/Kolkata" });

    await readJson(await call(admin, "POST", `/clinics/${branch.id}/deactivate`), clinicSchema);
    const after = await readJson(await call(undefined, "GET", "/clinics"), clinicListSchema);
    expect(after.items.map((c) => c.id)).not.toContain(branch.id);
    expect((await call(undefined, "GET", `/clinics/${branch.id}`)).status).toBe(404);
    expect((await readJson(await call(admin, "GET", `/clinics/${branch.id}`), clinicSchema)).active).toBe(false);
  });

  it("manages clinic services: unique names per clinic, deactivation hides them from the public list", async () => {
    const [clinic, other] = await Promise.all([buildClinic(app), buildClinic(app)]);
    const clinicAdmin = await buildPerson(app, "clinic_admin", { clinicIds: [clinic.id, other.id] });
    const body = { name: "Minor surgery", durationMinutes: 60, colour: "#aa3300", priceMinor: 12000, currency: "GBP", paymentRequired: true };
    const created = await readJson(await call(clinicAdmin, "POST", `/clinics/${clinic.id}/services`, body), clinicServiceSchema);
    expect(created).toMatchObject({ ...body, clinicId: clinic.id, active: true });
    const duplicate = await call(clinicAdmin, "POST", `/clinics/${clinic.id}/services`, { ...body, durationMinutes: 30 });
    expect(duplicate.status).toBe(409);
    expect(problemSchema.parse(await duplicate.json()).code).toBe("SERVICE_NAME_TAKEN");
    expect((await call(clinicAdmin, "POST", `/clinics/${other.id}/services`, body)).status).toBe(201); // other clinic: fine

    const patched = await readJson(
      await call(clinicAdmin, "PATCH", `/clinics/${clinic.id}/services/${created.id}`, { durationMinutes: 45, colour: "#000000" }),
      clinicServiceSchema,
    );
    expect(patched).toMatchObject({ durationMinutes: 45, colour: "#000000", name: "Minor surgery" });
    const [row] = await audits(`action = 'clinic.service.update' and entity_id = ?`, [created.id]);
    expect(row).toMatchObject({ clinic_id: clinic.id, before: { durationMinutes: 60 }, after: { durationMinutes: 45 } });

    const list = async () => (await readJson(await call(undefined, "GET", `/clinics/${clinic.id}/services`), clinicServiceListSchema)).items;
    expect((await list()).map((s) => s.id)).toEqual([created.id]);
    const removed = await readJson(await call(clinicAdmin, "DELETE", `/clinics/${clinic.id}/services/${created.id}`), clinicServiceSchema);
    expect(removed.active).toBe(false);
    expect(await list()).toEqual([]);
  });

  it("publishes the directory routes in the OpenAPI document", async () => {
    const spec = (await (await fetch(`${app.url}/docs/json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    for (const path of [
      "/api/v1/clinics",
      "/api/v1/clinics/{clinicId}/members",
      "/api/v1/clinics/{clinicId}/services/{serviceId}",
      "/api/v1/doctors",
      "/api/v1/doctors/{doctorId}/profile",
      "/api/v1/doctors/{doctorId}/patients/{patientId}",
      "/api/v1/patients/me",
      "/api/v1/users/{userId}/deactivate",
      "/api/v1/specialties",
    ]) {
      expect(spec.paths, path).toHaveProperty([path]);
    }
    expect(Object.keys(spec.paths["/api/v1/doctors/{doctorId}/clinics/{clinicId}"] ?? {})).toEqual(expect.arrayContaining(["put", "delete"]));
  });
});
