/**
 * Doctor–patient relations open a patient's data to a doctor, so nobody may grant one to themself:
 * the attack from issue #15 (a doctor or receptionist relating a doctor to any patient, then reading
 * the patient) end to end, the clinic admin's audited relation with its reason, bad reasons, races,
 * and ending a relation. The full who-may table is in access-matrix.test.ts.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { doctorPatientRelationSchema, problemSchema } from "@clinic/shared";
import type { Clinic } from "../../server/src/modules/directory/clinic.entity";
import { readJson, useApp } from "../support/harness";
import { buildAppointment, buildClinic, buildPerson, buildSlot, type TestPerson } from "../support/factories";
import { request } from "../support/api";
import { count, query } from "../support/db";

const ROUNDS = 5;
const REASON = "Takes over the patient's diabetes care";

interface AuditRow {
  action: string;
  actor_id: string | null;
  clinic_id: string | null;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
}

describe("doctor–patient relations", () => {
  const app = useApp();
  let clinicA: Clinic;
  let clinicB: Clinic;
  /** Works at clinic A, like the receptionist and the two admins. */
  let doctor: TestPerson;
  let doctorAtB: TestPerson;
  let receptionist: TestPerson;
  let receptionistOfB: TestPerson;
  let admins: [TestPerson, TestPerson];
  let visits = 0;

  beforeAll(async () => {
    [clinicA, clinicB] = [await buildClinic(app), await buildClinic(app)];
    doctor = await buildPerson(app, "doctor", { clinicIds: [clinicA.id] });
    doctorAtB = await buildPerson(app, "doctor", { clinicIds: [clinicB.id] });
    receptionist = await buildPerson(app, "receptionist", { clinicIds: [clinicA.id] });
    receptionistOfB = await buildPerson(app, "receptionist", { clinicIds: [clinicB.id] });
    admins = [
      await buildPerson(app, "clinic_admin", { clinicIds: [clinicA.id] }),
      await buildPerson(app, "clinic_admin", { clinicIds: [clinicA.id] }),
    ];
  });

  const call = (person: TestPerson, method: string, path: string, body?: unknown) => request(app, person, method, path, body);
  const relationPath = (doctorId: string, patientId: string) => `/doctors/${doctorId}/patients/${patientId}`;
  const relationCount = async (patientId: string) =>
    count(app, `select count(*) n from doctor_patient where patient_id = ?`, [patientId]);
  const audits = (action: string, patientId: string) =>
    query<AuditRow>(
      app,
      `select action, actor_id, clinic_id, before, after from audit_event
        where action = ? and coalesce(after, before)->>'patientId' = ? order by id`,
      [action, patientId],
    );

  /** A patient with a scheduled visit to `visited` at `clinic` (each visit at its own time, so slots never overlap). */
  async function patientWhoBooked(visited: TestPerson, clinic: Clinic): Promise<TestPerson & { patientId: string }> {
    const patient = await buildPerson(app, "patient");
    const start = new Date(Date.now() + 86_400_000 + ++visits * 3_600_000);
    const slot = await buildSlot(app, { doctorId: visited.doctorId!, clinicId: clinic.id, start });
    await buildAppointment(app, { slot, patientId: patient.patientId! });
    return { ...patient, patientId: patient.patientId! };
  }

  async function expectForbidden(response: Response) {
    expect(response.status).toBe(403);
    expect(problemSchema.parse(await response.json()).code).toBe("FORBIDDEN");
  }

  it("refuses a doctor relating themself to a patient, who then stays hidden from them", async () => {
    const patient = await patientWhoBooked(doctor, clinicA);
    const stranger = await buildPerson(app, "patient");
    for (const target of [patient.patientId, stranger.patientId!]) {
      await expectForbidden(await call(doctor, "PUT", relationPath(doctor.doctorId!, target), { reason: REASON }));
      const read = await call(doctor, "GET", `/patients/${target}`);
      expect(read.status).toBe(404);
      expect(await read.text()).not.toContain("@test.clinic");
      expect(await relationCount(target)).toBe(0);
      expect(await audits("patient.relation.add", target)).toEqual([]);
    }
  });

  it("refuses receptionists, of the doctor's clinic or of the clinic the patient books at, and the patient stays hidden", async () => {
    // The reported case: clinic A's receptionist relates clinic A's doctor to a patient who books only at clinic B.
    const bookerAtB = await patientWhoBooked(doctorAtB, clinicB);
    const bookerAtA = await patientWhoBooked(doctor, clinicA);
    const attempts: [TestPerson, string, string][] = [
      [receptionist, doctor.doctorId!, bookerAtB.patientId],
      [receptionist, doctor.doctorId!, bookerAtA.patientId],
      [receptionistOfB, doctorAtB.doctorId!, bookerAtB.patientId],
    ];
    for (const [who, doctorId, patientId] of attempts) {
      await expectForbidden(await call(who, "PUT", relationPath(doctorId, patientId), { reason: REASON }));
      expect((await call(who, "GET", `/patients/${patientId}`)).status).toBe(404);
      expect(await relationCount(patientId)).toBe(0);
    }
  });

  it("refuses a clinic admin where the doctor works but the patient never booked, or only held a slot that lapsed", async () => {
    const bookerAtB = await patientWhoBooked(doctorAtB, clinicB);
    const lapsed = await patientWhoBooked(doctor, clinicA);
    await query(app, `update appointment set status = 'expired' where patient_id = ?`, [lapsed.patientId]);
    for (const patientId of [bookerAtB.patientId, lapsed.patientId]) {
      await expectForbidden(await call(admins[0], "PUT", relationPath(doctor.doctorId!, patientId), { reason: REASON }));
      expect(await relationCount(patientId)).toBe(0);
    }
    // Nor may clinic B's admin, where the patient booked, relate a doctor who does not work there.
    const adminOfB = await buildPerson(app, "clinic_admin", { clinicIds: [clinicB.id] });
    await expectForbidden(await call(adminOfB, "PUT", relationPath(doctor.doctorId!, bookerAtB.patientId), { reason: REASON }));
  });

  it("lets a clinic admin where both are known relate them, audited with the reason and that clinic; once", async () => {
    const patient = await patientWhoBooked(doctor, clinicA);
    const path = relationPath(doctor.doctorId!, patient.patientId);
    const created = await call(admins[0], "PUT", path, { reason: `  ${REASON}  ` });
    expect(created.status).toBe(201);
    expect(await readJson(created, doctorPatientRelationSchema)).toMatchObject({ doctorId: doctor.doctorId, patientId: patient.patientId });
    expect(await relationCount(patient.patientId)).toBe(1);
    expect(await audits("patient.relation.add", patient.patientId)).toEqual([
      {
        action: "patient.relation.add",
        actor_id: admins[0].user.id,
        clinic_id: clinicA.id,
        before: null,
        after: { doctorId: doctor.doctorId, patientId: patient.patientId, reason: REASON, clinicId: clinicA.id },
      },
    ]);
    // The doctor now sees the patient, and relating again changes (and audits) nothing.
    expect((await call(doctor, "GET", `/patients/${patient.patientId}`)).status).toBe(200);
    expect((await call(admins[1], "PUT", path, { reason: "Second opinion" })).status).toBe(200);
    expect(await audits("patient.relation.add", patient.patientId)).toHaveLength(1);
  });

  it("lets the platform admin relate anyone, with a reason and no clinic", async () => {
    const platformAdmin = await buildPerson(app, "platform_admin");
    const stranger = await buildPerson(app, "patient");
    expect((await call(platformAdmin, "PUT", relationPath(doctor.doctorId!, stranger.patientId!), { reason: REASON })).status).toBe(201);
    const [row] = await audits("patient.relation.add", stranger.patientId!);
    expect(row).toMatchObject({ actor_id: platformAdmin.user.id, clinic_id: null, after: { reason: REASON, clinicId: null } });
  });

  it("refuses a missing, short or long reason with 400 naming body.reason, writing nothing", async () => {
    const patient = await patientWhoBooked(doctor, clinicA);
    const auditCount = () => count(app, `select count(*) n from audit_event`);
    const before = await auditCount();
    for (const body of [{}, { reason: "" }, { reason: "  ab  " }, { reason: "x".repeat(501) }, { reason: 42 }]) {
      const response = await call(admins[0], "PUT", relationPath(doctor.doctorId!, patient.patientId), body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(response.headers.get("content-type")).toContain("application/problem+json");
      const problem = problemSchema.parse(await response.json());
      expect(problem.code).toBe("VALIDATION_FAILED");
      expect(problem.errors?.map((error) => error.field)).toEqual(["body.reason"]);
    }
    expect(await relationCount(patient.patientId)).toBe(0);
    expect(await auditCount()).toBe(before);
  });

  it("two clinic admins relating at once: one relation, one audit row, both succeed", async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const patient = await patientWhoBooked(doctor, clinicA);
      const path = relationPath(doctor.doctorId!, patient.patientId);
      const responses = await Promise.all(admins.map((admin) => call(admin, "PUT", path, { reason: REASON })));
      expect(responses.map((response) => response.status).sort()).toEqual([200, 201]);
      expect(await relationCount(patient.patientId)).toBe(1);
      expect(await audits("patient.relation.add", patient.patientId)).toHaveLength(1);
    }
  });

  it("lets the doctor give a relation up and a clinic admin end one, audited; reception cannot", async () => {
    const patient = await patientWhoBooked(doctor, clinicA);
    const path = relationPath(doctor.doctorId!, patient.patientId);
    expect((await call(admins[0], "PUT", path, { reason: REASON })).status).toBe(201);
    await expectForbidden(await call(receptionist, "DELETE", path));
    expect((await call(doctor, "DELETE", path)).status).toBe(204);
    expect((await call(doctor, "GET", `/patients/${patient.patientId}`)).status).toBe(404);

    expect((await call(admins[0], "PUT", path, { reason: REASON })).status).toBe(201);
    expect((await call(admins[1], "DELETE", path)).status).toBe(204);
    expect(await relationCount(patient.patientId)).toBe(0);
    expect(await audits("patient.relation.remove", patient.patientId)).toMatchObject([
      { actor_id: doctor.user.id, clinic_id: null, before: { doctorId: doctor.doctorId, patientId: patient.patientId } },
      { actor_id: admins[1].user.id, clinic_id: clinicA.id, before: { doctorId: doctor.doctorId, patientId: patient.patientId } },
    ]);
  });
});
