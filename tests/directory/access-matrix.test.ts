/**
 * Who may do what in the directory: one row per (person, call) with the status the guard must give.
 * Clinic A staff act on clinic B; patients act on each other; every refusal is problem+json and
 * never carries the target's data. Rows run in order, so writes that succeed come after the refusals
 * of the same call.
 */
import { beforeAll, describe, expect, it } from "vitest";
import type { EntityManager } from "@mikro-orm/postgresql";
import { problemSchema } from "@clinic/shared";
import { ClinicService } from "../../server/src/modules/directory/service.entity";
import { DoctorPatient } from "../../server/src/modules/directory/patient.entity";
import { ClinicMembership } from "../../server/src/modules/directory/membership.entity";
import { useApp } from "../support/harness";
import { buildAppointment, buildClinic, buildPerson, buildSlot, type TestPerson } from "../support/factories";

type Who =
  | "anonymous"
  | "patient"
  | "otherPatient"
  | "doctor"
  | "otherDoctor"
  | "receptionist"
  | "otherReceptionist"
  | "clinicAdmin"
  | "otherClinicAdmin"
  | "platformAdmin"
  | "pendingDoctor"
  | "spareDoctorSelf";
/** `fields`: what a 400 must name. */
type Row = [who: Who, method: string, path: string, body: unknown, expected: number, fields?: string[]];

const TZ = "Europe/London";
const WHY = { reason: "Takes over the patient's diabetes care" };

/**
 * {clinicA}: the clinic of `doctor`, `receptionist`, `clinicAdmin`; {clinicB}: of `otherDoctor`,
 * `otherReceptionist`, `otherClinicAdmin`. `patient` is related to `doctor`, `otherPatient` to
 * `otherDoctor`; `sparePatient` is related to nobody and has an appointment with `doctor` at clinic A.
 */
const rows: Row[] = [
  // clinics
  ["anonymous", "GET", "/clinics", undefined, 200],
  ["anonymous", "GET", "/clinics/{clinicA}", undefined, 200],
  ["anonymous", "PATCH", "/clinics/{clinicA}", { name: "Nope" }, 401],
  ["patient", "PATCH", "/clinics/{clinicA}", { name: "Nope" }, 403],
  ["doctor", "PATCH", "/clinics/{clinicA}", { name: "Nope" }, 403],
  ["receptionist", "PATCH", "/clinics/{clinicA}", { name: "Nope" }, 403],
  ["clinicAdmin", "PATCH", "/clinics/{clinicB}", { name: "Nope" }, 403],
  ["clinicAdmin", "PATCH", "/clinics/{clinicA}", { name: "Clinic A renamed" }, 200],
  ["clinicAdmin", "PATCH", "/clinics/{clinicA}", { parentClinicId: "{clinicB}" }, 403],
  ["platformAdmin", "PATCH", "/clinics/{clinicB}", { name: "Clinic B renamed" }, 200],
  ["clinicAdmin", "POST", "/clinics", { name: "Matrix Clinic", timeZone: TZ }, 403],
  ["receptionist", "POST", "/clinics", { name: "Matrix Clinic", timeZone: TZ }, 403],
  ["platformAdmin", "POST", "/clinics", { name: "Matrix Clinic", timeZone: TZ }, 201],
  ["clinicAdmin", "POST", "/clinics/{clinicA}/deactivate", undefined, 403],
  ["platformAdmin", "POST", "/clinics/{clinicC}/deactivate", undefined, 200],
  ["patient", "POST", "/specialties", { name: "Matrixology" }, 403],
  ["platformAdmin", "POST", "/specialties", { name: "Matrixology" }, 201],

  // clinic staff
  ["anonymous", "GET", "/clinics/{clinicA}/members", undefined, 401],
  ["patient", "GET", "/clinics/{clinicA}/members", undefined, 403],
  ["doctor", "GET", "/clinics/{clinicA}/members", undefined, 403],
  ["receptionist", "GET", "/clinics/{clinicA}/members", undefined, 200],
  ["receptionist", "GET", "/clinics/{clinicB}/members", undefined, 403],
  ["clinicAdmin", "GET", "/clinics/{clinicB}/members", undefined, 403],
  ["platformAdmin", "GET", "/clinics/{clinicB}/members", undefined, 200],
  ["receptionist", "POST", "/clinics/{clinicA}/members", { userId: "{spareReceptionist1}", role: "receptionist" }, 403],
  ["clinicAdmin", "POST", "/clinics/{clinicB}/members", { userId: "{spareReceptionist1}", role: "receptionist" }, 403],
  ["clinicAdmin", "POST", "/clinics/{clinicA}/members", { userId: "{spareReceptionist1}", role: "receptionist" }, 201],
  ["platformAdmin", "POST", "/clinics/{clinicB}/members", { userId: "{spareReceptionist2}", role: "receptionist" }, 201],
  ["clinicAdmin", "DELETE", "/clinics/{clinicB}/members/{membershipB}", undefined, 403],
  ["receptionist", "DELETE", "/clinics/{clinicA}/members/{spareMembershipA}", undefined, 403],
  ["clinicAdmin", "DELETE", "/clinics/{clinicA}/members/{spareMembershipA}", undefined, 204],

  // clinic services
  ["anonymous", "GET", "/clinics/{clinicA}/services", undefined, 200],
  ["anonymous", "POST", "/clinics/{clinicA}/services", { name: "Matrix visit", durationMinutes: 15, colour: "#112233" }, 401],
  ["receptionist", "POST", "/clinics/{clinicA}/services", { name: "Matrix visit", durationMinutes: 15, colour: "#112233" }, 403],
  ["doctor", "POST", "/clinics/{clinicA}/services", { name: "Matrix visit", durationMinutes: 15, colour: "#112233" }, 403],
  ["clinicAdmin", "POST", "/clinics/{clinicB}/services", { name: "Matrix visit", durationMinutes: 15, colour: "#112233" }, 403],
  ["clinicAdmin", "POST", "/clinics/{clinicA}/services", { name: "Matrix visit", durationMinutes: 15, colour: "#112233" }, 201],
  ["clinicAdmin", "PATCH", "/clinics/{clinicB}/services/{serviceB}", { priceMinor: 100 }, 403],
  ["clinicAdmin", "PATCH", "/clinics/{clinicA}/services/{serviceA}", { priceMinor: 100 }, 200],
  ["clinicAdmin", "PATCH", "/clinics/{clinicA}/services/{serviceB}", { priceMinor: 100 }, 404],
  ["otherReceptionist", "DELETE", "/clinics/{clinicB}/services/{serviceB}", undefined, 403],
  ["platformAdmin", "DELETE", "/clinics/{clinicB}/services/{serviceB}", undefined, 200],

  // doctor profiles and approval
  ["anonymous", "GET", "/doctors/{doctor}", undefined, 200],
  ["anonymous", "PATCH", "/doctors/{doctor}/profile", { bio: "x" }, 401],
  ["otherDoctor", "PATCH", "/doctors/{doctor}/profile", { bio: "x" }, 403],
  ["clinicAdmin", "PATCH", "/doctors/{doctor}/profile", { bio: "x" }, 403],
  ["patient", "PATCH", "/doctors/{doctor}/profile", { bio: "x" }, 403],
  ["doctor", "PATCH", "/doctors/{doctor}/profile", { bio: "Family medicine" }, 200],
  ["platformAdmin", "PATCH", "/doctors/{otherDoctor}/profile", { bio: "Paediatrics" }, 200],
  ["otherDoctor", "POST", "/doctors/{doctor}/credentials", { registrationBody: "GMC", registrationNumber: "123" }, 403],
  ["anonymous", "GET", "/doctors/{pendingDoctor}", undefined, 404],
  ["patient", "GET", "/doctors/{pendingDoctor}", undefined, 404],
  ["otherReceptionist", "GET", "/doctors/{pendingDoctor}", undefined, 404],
  ["receptionist", "GET", "/doctors/{pendingDoctor}", undefined, 200],
  ["pendingDoctor", "GET", "/doctors/{pendingDoctor}", undefined, 200],
  ["platformAdmin", "GET", "/doctors/{pendingDoctor}", undefined, 200],
  ["doctor", "POST", "/doctors/{pendingDoctor}/approve", undefined, 403],
  ["pendingDoctor", "POST", "/doctors/{pendingDoctor}/approve", undefined, 403],
  ["clinicAdmin", "POST", "/doctors/{pendingDoctor}/reject", { note: "no" }, 403],
  ["platformAdmin", "POST", "/doctors/{pendingDoctor}/reject", { note: "Registration number not found" }, 200],

  // doctor ↔ clinic associations
  ["anonymous", "PUT", "/doctors/{spareDoctor}/clinics/{clinicA}", undefined, 401],
  ["spareDoctorSelf", "PUT", "/doctors/{spareDoctor}/clinics/{clinicA}", undefined, 403],
  ["receptionist", "PUT", "/doctors/{spareDoctor}/clinics/{clinicA}", undefined, 403],
  ["clinicAdmin", "PUT", "/doctors/{spareDoctor}/clinics/{clinicB}", undefined, 403],
  ["clinicAdmin", "PUT", "/doctors/{spareDoctor}/clinics/{clinicA}", undefined, 200],
  ["clinicAdmin", "DELETE", "/doctors/{spareDoctor}/clinics/{clinicB}", undefined, 403],
  ["clinicAdmin", "DELETE", "/doctors/{spareDoctor}/clinics/{clinicA}", undefined, 200],

  // patient data: another patient's record is a 404, never the data
  ["anonymous", "GET", "/patients/{patient}", undefined, 401],
  ["patient", "GET", "/patients/{patient}", undefined, 200],
  ["otherPatient", "GET", "/patients/{patient}", undefined, 404],
  ["doctor", "GET", "/patients/{patient}", undefined, 200],
  ["otherDoctor", "GET", "/patients/{patient}", undefined, 404],
  ["receptionist", "GET", "/patients/{patient}", undefined, 200],
  ["receptionist", "GET", "/patients/{otherPatient}", undefined, 404],
  ["clinicAdmin", "GET", "/patients/{otherPatient}", undefined, 404],
  ["otherReceptionist", "GET", "/patients/{otherPatient}", undefined, 200],
  ["platformAdmin", "GET", "/patients/{otherPatient}", undefined, 200],
  ["platformAdmin", "GET", "/patients/{missing}", undefined, 404],
  ["patient", "GET", "/patients/me", undefined, 200],
  ["doctor", "GET", "/patients/me", undefined, 404],

  // tiers
  ["otherPatient", "PATCH", "/patients/{patient}/tier", { tier: "vise" }, 404],
  ["patient", "PATCH", "/patients/{patient}/tier", { tier: "vise" }, 403],
  ["doctor", "PATCH", "/patients/{patient}/tier", { tier: "vise" }, 403],
  ["receptionist", "PATCH", "/patients/{patient}/tier", { tier: "vise" }, 403],
  ["clinicAdmin", "PATCH", "/patients/{patient}/tier", { tier: "vise" }, 403],
  ["platformAdmin", "PATCH", "/patients/{patient}/tier", { tier: "vise" }, 200],

  // doctor–patient relations: made only by an admin of a clinic where both are known ({sparePatient}
  // booked at clinic A, where {doctor} works; {otherPatient} never did), or by the platform; with a reason.
  ["doctor", "GET", "/patients/{sparePatient}", undefined, 404],
  ["patient", "PUT", "/doctors/{doctor}/patients/{sparePatient}", WHY, 403],
  ["doctor", "PUT", "/doctors/{doctor}/patients/{sparePatient}", WHY, 403],
  ["doctor", "PUT", "/doctors/{doctor}/patients/{otherPatient}", WHY, 403],
  ["otherDoctor", "PUT", "/doctors/{doctor}/patients/{sparePatient}", WHY, 403],
  ["receptionist", "PUT", "/doctors/{doctor}/patients/{sparePatient}", WHY, 403],
  ["otherReceptionist", "PUT", "/doctors/{doctor}/patients/{sparePatient}", WHY, 403],
  ["otherClinicAdmin", "PUT", "/doctors/{doctor}/patients/{sparePatient}", WHY, 403],
  ["clinicAdmin", "PUT", "/doctors/{doctor}/patients/{otherPatient}", WHY, 403],
  ["clinicAdmin", "PUT", "/doctors/{doctor}/patients/{sparePatient}", undefined, 400, ["body"]],
  ["clinicAdmin", "PUT", "/doctors/{doctor}/patients/{sparePatient}", {}, 400, ["body.reason"]],
  ["clinicAdmin", "PUT", "/doctors/{doctor}/patients/{sparePatient}", { reason: "  ok  " }, 400, ["body.reason"]],
  ["doctor", "GET", "/patients/{sparePatient}", undefined, 404],
  ["clinicAdmin", "PUT", "/doctors/{doctor}/patients/{sparePatient}", WHY, 201],
  ["clinicAdmin", "PUT", "/doctors/{doctor}/patients/{sparePatient}", WHY, 200],
  ["doctor", "GET", "/patients/{sparePatient}", undefined, 200],
  ["platformAdmin", "PUT", "/doctors/{otherDoctor}/patients/{sparePatient}", WHY, 201],
  // Ending one: the doctor, an admin of a clinic where both are known, the platform; not reception.
  ["patient", "DELETE", "/doctors/{doctor}/patients/{sparePatient}", undefined, 403],
  ["otherDoctor", "DELETE", "/doctors/{doctor}/patients/{sparePatient}", undefined, 403],
  ["receptionist", "DELETE", "/doctors/{doctor}/patients/{sparePatient}", undefined, 403],
  ["otherClinicAdmin", "DELETE", "/doctors/{doctor}/patients/{sparePatient}", undefined, 403],
  ["clinicAdmin", "DELETE", "/doctors/{otherDoctor}/patients/{sparePatient}", undefined, 403],
  ["clinicAdmin", "DELETE", "/doctors/{doctor}/patients/{sparePatient}", undefined, 204],
  ["doctor", "GET", "/patients/{sparePatient}", undefined, 404],
  ["clinicAdmin", "PUT", "/doctors/{doctor}/patients/{sparePatient}", WHY, 201],
  ["doctor", "DELETE", "/doctors/{doctor}/patients/{sparePatient}", undefined, 204],
  ["doctor", "DELETE", "/doctors/{doctor}/patients/{sparePatient}", undefined, 404],
  ["platformAdmin", "DELETE", "/doctors/{otherDoctor}/patients/{sparePatient}", undefined, 204],
  ["anonymous", "GET", "/doctors/{doctor}/patients", undefined, 401],
  ["patient", "GET", "/doctors/{doctor}/patients", undefined, 403],
  ["otherDoctor", "GET", "/doctors/{doctor}/patients", undefined, 403],
  ["otherReceptionist", "GET", "/doctors/{doctor}/patients", undefined, 403],
  ["receptionist", "GET", "/doctors/{doctor}/patients", undefined, 200],
  ["doctor", "GET", "/doctors/{doctor}/patients", undefined, 200],

  // account status
  ["anonymous", "POST", "/users/{victim}/deactivate", undefined, 401],
  ["patient", "POST", "/users/{victim}/deactivate", undefined, 403],
  ["doctor", "POST", "/users/{victim}/deactivate", undefined, 403],
  ["receptionist", "POST", "/users/{victim}/deactivate", undefined, 403],
  ["clinicAdmin", "POST", "/users/{victim}/deactivate", undefined, 403],
  ["platformAdmin", "POST", "/users/{victim}/deactivate", undefined, 200],
  ["clinicAdmin", "POST", "/users/{victim}/activate", undefined, 403],
  ["platformAdmin", "POST", "/users/{victim}/activate", undefined, 200],
];

describe("directory access matrix", () => {
  const app = useApp();
  const people = new Map<string, TestPerson>();
  const ids: Record<string, string> = {};
  const secrets: string[] = [];

  beforeAll(async () => {
    const { runtime } = app;
    const [clinicA, clinicB, clinicC] = await Promise.all([buildClinic(app), buildClinic(app), buildClinic(app)]);
    Object.assign(ids, { clinicA: clinicA.id, clinicB: clinicB.id, clinicC: clinicC.id, missing: crypto.randomUUID() });
    const make = async (key: string, ...args: Parameters<typeof buildPerson> extends [unknown, ...infer R] ? R : never) => {
      const person = await buildPerson(app, ...args);
      people.set(key, person);
      return person;
    };
    await Promise.all([
      make("patient", "patient"),
      make("otherPatient", "patient"),
      make("spare", "patient"),
      make("doctor", "doctor", { clinicIds: [clinicA.id] }),
      make("otherDoctor", "doctor", { clinicIds: [clinicB.id] }),
      make("spareDoctorSelf", "doctor", { clinicIds: [clinicB.id] }),
      make("pendingDoctor", "doctor", { clinicIds: [clinicA.id], approved: false }),
      make("receptionist", "receptionist", { clinicIds: [clinicA.id] }),
      make("otherReceptionist", "receptionist", { clinicIds: [clinicB.id] }),
      make("clinicAdmin", "clinic_admin", { clinicIds: [clinicA.id] }),
      make("otherClinicAdmin", "clinic_admin", { clinicIds: [clinicB.id] }),
      make("platformAdmin", "platform_admin"),
      make("spareReceptionist1", "receptionist"),
      make("spareReceptionist2", "receptionist"),
      make("spareReceptionist3", "receptionist", { clinicIds: [clinicA.id] }),
      make("victim", "patient"),
    ]);
    const get = (key: string) => people.get(key)!;
    Object.assign(ids, {
      patient: get("patient").patientId!,
      otherPatient: get("otherPatient").patientId!,
      sparePatient: get("spare").patientId!,
      doctor: get("doctor").doctorId!,
      otherDoctor: get("otherDoctor").doctorId!,
      spareDoctor: get("spareDoctorSelf").doctorId!,
      pendingDoctor: get("pendingDoctor").doctorId!,
      spareReceptionist1: get("spareReceptionist1").user.id,
      spareReceptionist2: get("spareReceptionist2").user.id,
      victim: get("victim").user.id,
    });
    secrets.push(get("patient").user.email!, get("otherPatient").user.email!);

    const em = runtime.orm.em.fork() as EntityManager;
    em.create(DoctorPatient, { doctor: ids.doctor!, patient: ids.patient! });
    em.create(DoctorPatient, { doctor: ids.otherDoctor!, patient: ids.otherPatient! });
    const serviceA = em.create(ClinicService, { clinic: clinicA.id, name: "Consultation", durationMinutes: 15, colour: "#00aa00" });
    const serviceB = em.create(ClinicService, { clinic: clinicB.id, name: "Consultation", durationMinutes: 15, colour: "#00aa00" });
    await em.flush();
    const membershipB = await em.findOneOrFail(ClinicMembership, { user: get("otherReceptionist").user.id });
    const spareMembershipA = await em.findOneOrFail(ClinicMembership, { user: get("spareReceptionist3").user.id });
    Object.assign(ids, { serviceA: serviceA.id, serviceB: serviceB.id, membershipB: membershipB.id, spareMembershipA: spareMembershipA.id });
    // The spare patient booked `doctor` at clinic A: that makes them known there.
    const visit = await buildSlot(app, { doctorId: ids.doctor!, clinicId: clinicA.id, start: new Date(Date.now() + 86_400_000) });
    await buildAppointment(app, { slot: visit, patientId: ids.sparePatient! });
  });

  const fill = (text: string) => text.replace(/\{(\w+)\}/g, (_, key: string) => ids[key] ?? `{${key}}`);

  it.each(rows)("%s %s %s %j → %i", async (who, method, path, body, expected, fields) => {
    const person = who === "anonymous" ? undefined : people.get(who);
    if (who !== "anonymous") expect(person, `fixture ${who}`).toBeDefined();
    const payload = body === undefined ? undefined : fill(JSON.stringify(body));
    const response = await fetch(`${app.url}/api/v1${fill(path)}`, {
      method,
      headers: { ...(person?.headers ?? {}), ...(payload ? { "content-type": "application/json" } : {}) },
      body: payload,
    });
    const text = await response.text();
    expect(response.status, text).toBe(expected);
    if (expected >= 400) {
      expect(response.headers.get("content-type")).toContain("application/problem+json");
      const problem = problemSchema.parse(JSON.parse(text));
      expect(problem.code).toBe({ 400: "VALIDATION_FAILED", 401: "UNAUTHENTICATED", 403: "FORBIDDEN", 404: "NOT_FOUND" }[expected]);
      if (expected === 400) expect(problem.errors?.map((error) => error.field)).toEqual(fields);
      for (const secret of secrets) expect(text).not.toContain(secret);
    }
  });
});
