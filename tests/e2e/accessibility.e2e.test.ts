/**
 * Every screen, opened by the role that uses it, checked with axe-core against WCAG 2.1 A and AA
 * (labels, names, contrast, landmarks, ARIA): a violation fails the test with the rule, the screen
 * and the offending elements. The screens show seeded data, so rows and forms are checked, not just
 * empty states.
 */
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { buildAppointmentFromNow, buildDoctor, buildMiddayClinic, buildPatient, buildPerson, buildSlotFromNow, type TestPerson } from "../support/factories";
import { staffCheckIn } from "../support/api";
import { axeViolations, pageSignedIn, PHONE, useBrowserStage } from "../support/browser";

async function check(page: Page, paths: string[]): Promise<string[]> {
  const found: string[] = [];
  for (const path of paths) found.push(...(await axeViolations(page, path)));
  return found;
}

describe("accessibility of every screen (axe-core, WCAG 2.1 AA, browser)", () => {
  const stage = useBrowserStage();

  async function seededClinic() {
    const app = stage.app;
    const clinic = await buildMiddayClinic(app);
    const doctor = await buildDoctor(app, [clinic.id]);
    const patient = await buildPatient(app, { tier: "vise", relatedTo: doctor.doctorId });
    const reception = await buildPerson(app, "receptionist", { clinicIds: [clinic.id] });
    const admin = await buildPerson(app, "clinic_admin", { clinicIds: [clinic.id] });
    await buildSlotFromNow(app, { doctorId: doctor.doctorId, clinicId: clinic.id, fromNowMinutes: 26 * 60, minutes: 30 });
    await buildSlotFromNow(app, { doctorId: doctor.doctorId, clinicId: clinic.id, fromNowMinutes: 120, minutes: 30 });
    const arrived = (await buildAppointmentFromNow(app, { doctorId: doctor.doctorId, clinicId: clinic.id, patientId: patient.patientId, fromNowMinutes: 15 })).id;
    await staffCheckIn(app, reception, clinic.id, arrived);
    const other = await buildPatient(app, { tier: "vise", relatedTo: doctor.doctorId });
    await buildAppointmentFromNow(app, { doctorId: doctor.doctorId, clinicId: clinic.id, patientId: other.patientId, fromNowMinutes: 60 });
    return { clinic, doctor, patient, reception, admin };
  }

  const as = (person: TestPerson, viewport?: { width: number; height: number }) =>
    pageSignedIn(stage.browser, stage.app.url, person.user.email!, { bypassCSP: true, ...(viewport ? { viewport } : {}) });

  // Each role's screens in a test of its own: many pages per test, so a loaded machine gets room.
  const ROLE_TIMEOUT = 120_000;
  const wide = { width: 1400, height: 900 };
  const url = (path: string) => `${stage.app.url}${path}`;

  it("signed-out screens and the patient's screens (phone)", async () => {
    const { doctor, patient } = await seededClinic();
    const visitor = await (await stage.browser.newContext({ viewport: PHONE, bypassCSP: true })).newPage();
    const found = await check(visitor, ["/sign-in", "/register", "/forgot-password"].map(url));
    const page = await as(patient, PHONE);
    found.push(...(await check(page, [
      "/", "/patient/doctors", `/patient/doctors/${doctor.doctorId}`, "/patient/appointments", "/patient/waitlist",
      `/patient/doctors/${doctor.doctorId}/reviews`, "/patient/reviews", "/notifications", "/account", "/account/notifications",
      "/account/profile",
    ].map(url))));
    expect(found).toEqual([]);
  }, ROLE_TIMEOUT);

  it("the doctor's screens", async () => {
    const { doctor } = await seededClinic();
    expect(await check(await as(doctor, wide), ["/doctor/day", "/doctor/availability", "/doctor/time-off", "/doctor/reviews"].map(url))).toEqual([]);
  }, ROLE_TIMEOUT);

  it("reception's screens and the display preview", async () => {
    const { reception } = await seededClinic();
    expect(await check(await as(reception, wide), ["/reception/queue", "/reception/day", "/display"].map(url))).toEqual([]);
  }, ROLE_TIMEOUT);

  it("the clinic admin's screens", async () => {
    const { admin } = await seededClinic();
    const paths = ["/admin", "/admin/services", "/admin/templates", "/admin/import", "/admin/rules", "/admin/staff", "/admin/screens", "/admin/audit", "/admin/reviews"];
    expect(await check(await as(admin, wide), paths.map(url))).toEqual([]);
  }, ROLE_TIMEOUT);
});
