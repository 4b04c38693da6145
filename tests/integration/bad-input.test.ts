/**
 * The bad inputs a fuzz over the API once answered with 500 (issue 17), each on the real route it
 * broke, as the role that reaches the handler: each must be a 400 problem+json naming the field, and
 * nothing may be written. `fuzz-openapi.test.ts` walks every route with values like these.
 */
import { describe, expect, it } from "vitest";
import { problemSchema } from "@clinic/shared";
import { request } from "../support/api";
import { count } from "../support/db";
import { buildClinic, buildDoctor, buildPatient, buildPerson, type TestPerson } from "../support/factories";
import { dayFromNow } from "../support/dates";
import { useApp } from "../support/harness";

describe("bad input on the routes it once broke", () => {
  const app = useApp();

  async function refusedNaming(person: TestPerson, method: string, path: string, body: unknown, field: string) {
    const response = await request(app, person, method, path, body);
    expect(response.headers.get("content-type"), `${method} ${path}`).toContain("application/problem+json");
    const problem = problemSchema.parse(await response.json());
    expect([response.status, problem.code, problem.errors?.map((error) => error.field)], `${method} ${path} ${JSON.stringify(body)}`).toEqual([
      400,
      "VALIDATION_FAILED",
      [field],
    ]);
  }

  it("refuses impossible dates and year 0000 on the day, queue, waitlist, time-off and closure routes", async () => {
    const clinic = await buildClinic(app);
    const doctor = await buildDoctor(app, [clinic.id]);
    const admin = await buildPerson(app, "clinic_admin", { clinicIds: [clinic.id] });
    const patient = await buildPatient(app);
    for (const date of ["2027-02-31", "2027-13-01", "0000-01-01"]) {
      await refusedNaming(admin, "GET", `/doctors/${doctor.doctorId}/day?date=${date}`, undefined, "query.date");
      await refusedNaming(admin, "GET", `/doctors/${doctor.doctorId}/day/patients?date=${date}`, undefined, "query.date");
      await refusedNaming(admin, "GET", `/clinics/${clinic.id}/day?date=${date}`, undefined, "query.date");
      await refusedNaming(admin, "GET", `/clinics/${clinic.id}/queue?date=${date}`, undefined, "query.date");
      await refusedNaming(patient, "POST", "/waitlist", { doctorId: doctor.doctorId, from: dayFromNow(2), to: date }, "body.to");
    }
    const leave = { kind: "vacation", startsAt: "0000-01-01T00:00:00Z", endsAt: `${dayFromNow(3)}T00:00:00Z`, reason: "Away" };
    await refusedNaming(admin, "POST", `/doctors/${doctor.doctorId}/unavailability`, leave, "body.startsAt");
    await refusedNaming(admin, "POST", `/clinics/${clinic.id}/closures`, { ...leave, kind: "holiday" }, "body.startsAt");
    await refusedNaming(admin, "GET", `/doctors/${doctor.doctorId}/unavailability?from=0000-01-01T00:00:00Z`, undefined, "query.from");
    expect(await count(app, `select count(*) n from waitlist_entry`)).toBe(0);
    expect(await count(app, `select count(*) n from unavailability`)).toBe(0);
  });

  it("refuses NUL and lone surrogates in text, query strings and path parameters", async () => {
    const clinic = await buildClinic(app);
    const platformAdmin = await buildPerson(app, "platform_admin");
    const admin = await buildPerson(app, "clinic_admin", { clinicIds: [clinic.id] });
    await refusedNaming(platformAdmin, "POST", "/specialties", { name: "Cardio\u0000logy" }, "body.name");
    await refusedNaming(platformAdmin, "POST", "/specialties", { name: "Cardio\ud800logy" }, "body.name");
    await refusedNaming(admin, "POST", `/clinics/${clinic.id}/services`, { name: "Check\ud83d", durationMinutes: 15 }, "body.name");
    await refusedNaming(admin, "POST", `/clinics/${clinic.id}/display-tokens`, { name: "Lobby\udc00" }, "body.name");
    await refusedNaming(admin, "GET", "/doctors?language=e%00n", undefined, "query.language");
    await refusedNaming(admin, "GET", `/clinics/${clinic.id}/queue/patients?q=An%00n`, undefined, "query.q");
    await refusedNaming(admin, "GET", "/payments/simulated/%00", undefined, "params.sessionId");
    expect(await count(app, `select count(*) n from specialty`)).toBe(0);
    expect(await count(app, `select count(*) n from clinic_service`)).toBe(0);
  });
});
