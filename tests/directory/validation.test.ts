/**
 * Bad input at every directory entry point: 400 problem+json naming each offending field, and the
 * database exactly as it was (row counts and last-change times of every directory table, and no
 * audit event).
 */
import { beforeAll, describe, expect, it } from "vitest";
import type { EntityManager } from "@mikro-orm/postgresql";
import { problemSchema } from "@clinic/shared";
import { ClinicService } from "../../server/src/modules/directory/service.entity";
import { useApp } from "../support/harness";
import { buildClinic, buildPerson, type TestPerson } from "../support/factories";

type Who = "platformAdmin" | "doctor" | "patient";
/** [who, method, path, body, fields the problem must name] */
type Case = [who: Who, method: string, path: string, body: unknown, fields: string[]];

const TZ = "Europe/London";
const longText = "x".repeat(5000);
const cursorOf = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

const cases: Case[] = [
  // clinics
  ["platformAdmin", "POST", "/clinics", {}, ["body.name", "body.timeZone"]],
  ["platformAdmin", "POST", "/clinics", { name: "Mars", timeZone: "Mars/Olympus_Mons" }, ["body.timeZone"]],
  ["platformAdmin", "POST", "/clinics", { name: "Abbreviated", timeZone: "EST" }, ["body.timeZone"]],
  ["platformAdmin", "POST", "/clinics", { name: 42, timeZone: TZ }, ["body.name"]],
  ["platformAdmin", "POST", "/clinics", { name: "x".repeat(201), timeZone: TZ }, ["body.name"]],
  ["platformAdmin", "POST", "/clinics", { name: "Extra", timeZone: TZ, owner: "me" }, ["body.owner"]],
  ["platformAdmin", "POST", "/clinics", { name: "Slug", timeZone: TZ, slug: "Not A Slug" }, ["body.slug"]],
  ["platformAdmin", "POST", "/clinics", { name: "Mail", timeZone: TZ, email: "not-an-email" }, ["body.email"]],
  ["platformAdmin", "POST", "/clinics", { name: "Parent", timeZone: TZ, parentClinicId: "123" }, ["body.parentClinicId"]],
  [
    "platformAdmin",
    "POST",
    "/clinics",
    { name: "Settings", timeZone: TZ, settings: { patientCancelCutoffHours: -1, colour: "red" } },
    ["body.settings.patientCancelCutoffHours", "body.settings.colour"],
  ],
  ["platformAdmin", "PATCH", "/clinics/{clinic}", { timeZone: "Nowhere/Special" }, ["body.timeZone"]],
  ["platformAdmin", "PATCH", "/clinics/{clinic}", { address: longText }, ["body.address"]],
  ["platformAdmin", "PATCH", "/clinics/not-a-uuid", { name: "x" }, ["params.clinicId"]],
  ["platformAdmin", "POST", "/specialties", { name: "" }, ["body.name"]],

  // staff
  ["platformAdmin", "POST", "/clinics/{clinic}/members", { userId: "nope", role: "doctor" }, ["body.userId", "body.role"]],
  ["platformAdmin", "POST", "/clinics/{clinic}/members", { role: "receptionist" }, ["body.userId"]],

  // clinic services
  ["platformAdmin", "POST", "/clinics/{clinic}/services", { durationMinutes: 15, colour: "#000000" }, ["body.name"]],
  ["platformAdmin", "POST", "/clinics/{clinic}/services", { name: "Odd", durationMinutes: 7, colour: "#000000" }, ["body.durationMinutes"]],
  ["platformAdmin", "POST", "/clinics/{clinic}/services", { name: "Long", durationMinutes: 485, colour: "#000000" }, ["body.durationMinutes"]],
  ["platformAdmin", "POST", "/clinics/{clinic}/services", { name: "Tiny", durationMinutes: 0, colour: "#000000" }, ["body.durationMinutes"]],
  ["platformAdmin", "POST", "/clinics/{clinic}/services", { name: "Str", durationMinutes: "15", colour: "#000000" }, ["body.durationMinutes"]],
  ["platformAdmin", "POST", "/clinics/{clinic}/services", { name: "Red", durationMinutes: 15, colour: "red" }, ["body.colour"]],
  [
    "platformAdmin",
    "POST",
    "/clinics/{clinic}/services",
    { name: "Price", durationMinutes: 15, colour: "#000000", priceMinor: -1, currency: "pounds" },
    ["body.priceMinor", "body.currency"],
  ],
  [
    "platformAdmin",
    "POST",
    "/clinics/{clinic}/services",
    { name: "Extra", durationMinutes: 15, colour: "#000000", discount: 5 },
    ["body.discount"],
  ],
  ["platformAdmin", "PATCH", "/clinics/{clinic}/services/{service}", { durationMinutes: 12 }, ["body.durationMinutes"]],
  ["platformAdmin", "PATCH", "/clinics/{clinic}/services/{service}", { name: longText }, ["body.name"]],

  // doctors
  ["doctor", "PATCH", "/doctors/{doctor}/profile", { languages: "en" }, ["body.languages"]],
  ["doctor", "PATCH", "/doctors/{doctor}/profile", { specialtyIds: ["cardio"] }, ["body.specialtyIds.0"]],
  ["doctor", "PATCH", "/doctors/{doctor}/profile", { consultationFeeMinor: 12.5, experienceYears: -1 }, ["body.consultationFeeMinor", "body.experienceYears"]],
  ["doctor", "PATCH", "/doctors/{doctor}/profile", { bio: longText }, ["body.bio"]],
  ["doctor", "PATCH", "/doctors/{doctor}/profile", { approvalStatus: "approved" }, ["body.approvalStatus"]],
  ["doctor", "POST", "/doctors/{doctor}/credentials", {}, ["body.registrationBody", "body.registrationNumber"]],
  ["doctor", "POST", "/doctors/{doctor}/credentials", { registrationBody: "GMC", registrationNumber: "1234567", submittedAt: "2020-01-01T00:00:00Z" }, ["body.submittedAt"]],
  ["platformAdmin", "POST", "/doctors/{doctor}/reject", {}, ["body.note"]],
  ["platformAdmin", "POST", "/doctors/{doctor}/reject", { note: longText }, ["body.note"]],

  // patients
  ["patient", "PATCH", "/patients/me", { dateOfBirth: "2020-13-45" }, ["body.dateOfBirth"]],
  ["patient", "PATCH", "/patients/me", { dateOfBirth: "2999-01-01" }, ["body.dateOfBirth"]],
  ["patient", "PATCH", "/patients/me", { email: "nope", phone: "0123" }, ["body.email", "body.phone"]],
  ["patient", "PATCH", "/patients/me", { reminderPreferences: { fax: true } }, ["body.reminderPreferences.fax"]],
  ["patient", "PATCH", "/patients/me", { fullName: longText }, ["body.fullName"]],
  ["patient", "PATCH", "/patients/me", { subscriptionTier: "vise" }, ["body.subscriptionTier"]],
  ["platformAdmin", "PATCH", "/patients/{patient}/tier", { tier: "gold" }, ["body.tier"]],
  ["platformAdmin", "PATCH", "/patients/{patient}/tier", {}, ["body.tier"]],

  // search
  ["patient", "GET", "/doctors?cursor=!!!", undefined, ["query.cursor"]],
  ["patient", "GET", `/doctors?cursor=${cursorOf("garbage")}`, undefined, ["query.cursor"]],
  ["patient", "GET", `/doctors?cursor=${cursorOf(["Dr A", "not-a-uuid"])}`, undefined, ["query.cursor"]],
  ["patient", "GET", "/doctors?cursor=bm90IGpzb24", undefined, ["query.cursor"]],
  ["patient", "GET", "/doctors?limit=0", undefined, ["query.limit"]],
  ["patient", "GET", "/doctors?limit=101", undefined, ["query.limit"]],
  ["patient", "GET", "/doctors?minRating=abc", undefined, ["query.minRating"]],
  ["patient", "GET", "/doctors?minRating=6", undefined, ["query.minRating"]],
  ["patient", "GET", "/doctors?clinicId=nope", undefined, ["query.clinicId"]],
  ["patient", "GET", `/doctors?q=${"a".repeat(101)}`, undefined, ["query.q"]],
  ["patient", "GET", "/doctors?sort=stars", undefined, ["query.sort"]],
];

describe("directory input validation", () => {
  const app = useApp();
  const people = {} as Record<Who, TestPerson>;
  const ids: Record<string, string> = {};

  /** Counts and last-change times of every table the directory writes, and the audit log. */
  async function snapshot(): Promise<unknown> {
    const em = app.runtime.orm.em.fork() as EntityManager;
    return em.getConnection().execute(`
      select (select count(*) from clinic) clinics, (select max(updated_at) from clinic) clinic_at,
             (select count(*) from clinic_service) services, (select max(updated_at) from clinic_service) service_at,
             (select count(*) from clinic_membership) memberships, (select count(*) from specialty) specialties,
             (select max(updated_at) from doctor) doctor_at, (select max(updated_at) from patient) patient_at,
             (select count(*) from doctor_patient) relations, (select count(*) from audit_event) audits`);
  }

  beforeAll(async () => {
    const clinic = await buildClinic(app);
    people.platformAdmin = await buildPerson(app, "platform_admin");
    people.doctor = await buildPerson(app, "doctor", { clinicIds: [clinic.id] });
    people.patient = await buildPerson(app, "patient");
    const em = app.runtime.orm.em.fork() as EntityManager;
    const service = em.create(ClinicService, { clinic: clinic.id, name: "Consultation", durationMinutes: 15, colour: "#00aa00" });
    await em.flush();
    Object.assign(ids, { clinic: clinic.id, service: service.id, doctor: people.doctor.doctorId!, patient: people.patient.patientId! });
  });

  const fill = (text: string) => text.replace(/\{(\w+)\}/g, (_, key: string) => ids[key] ?? `{${key}}`);

  it.each(cases)("%s %s %s %j → 400 naming %j", async (who, method, path, body, fields) => {
    const before = await snapshot();
    const response = await fetch(`${app.url}/api/v1${fill(path)}`, {
      method,
      headers: { ...people[who].headers, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    expect(response.status, text).toBe(400);
    expect(response.headers.get("content-type")).toContain("application/problem+json");
    const problem = problemSchema.parse(JSON.parse(text));
    expect(problem.code).toBe("VALIDATION_FAILED");
    const named = problem.errors?.map((error) => error.field).sort();
    expect(named).toEqual([...fields].sort());
    expect(await snapshot()).toEqual(before);
  });

  it("refuses references that do not hold (422) without writing", async () => {
    const receptionist = await buildPerson(app, "receptionist");
    const refused: [string, string, unknown, string][] = [
      ["POST", "/clinics", { name: "Orphan branch", timeZone: TZ, parentClinicId: crypto.randomUUID() }, "UNKNOWN_PARENT_CLINIC"],
      ["POST", `/clinics/${ids.clinic}/members`, { userId: receptionist.user.id, role: "clinic_admin" }, "ROLE_MISMATCH"],
      ["POST", `/clinics/${ids.clinic}/members`, { userId: crypto.randomUUID(), role: "receptionist" }, "UNKNOWN_USER"],
      ["PATCH", `/doctors/${ids.doctor}/profile`, { bio: "changed", specialtyIds: [crypto.randomUUID()] }, "UNKNOWN_SPECIALTY"],
      ["PATCH", `/clinics/${ids.clinic}`, { parentClinicId: ids.clinic }, "PARENT_CYCLE"],
    ];
    for (const [method, path, body, code] of refused) {
      const before = await snapshot();
      const response = await fetch(`${app.url}/api/v1${path}`, {
        method,
        headers: { ...people.platformAdmin.headers, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      expect(response.status, path).toBe(422);
      expect(problemSchema.parse(await response.json()).code).toBe(code);
      expect(await snapshot()).toEqual(before);
    }
  });
});
