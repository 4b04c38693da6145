/**
 * A clinic admin runs the clinic's setup in the browser: services (with a server field error),
 * a template previewed (nothing written, checked through the API) then applied, a CSV import whose
 * bad row is shown before anything is written, a booking rule and a setting, staff; a platform admin
 * approves a pending doctor; the audit log shows what was just done.
 */
import type { Page } from "playwright-core";
import { beforeAll, describe, expect, it } from "vitest";
import { addDays } from "@clinic/shared";
import { buildClinic, buildPerson, type TestPerson } from "../support/factories";
import { call, PDF_BYTES, uploadDocument } from "../support/api";
import { count } from "../support/db";
import { mondayIn } from "../support/dates";
import { pageSignedIn, screenshot, useBrowserStage } from "../support/browser";

describe("clinic admin screens (browser)", () => {
  const stage = useBrowserStage();
  let clinicId: string;
  let admin: TestPerson;
  let doctor: TestPerson;
  let page: Page;
  const slotsOf = (doctorId: string) => count(stage.app, `select count(*) n from slot where doctor_id = ?`, [doctorId]);
  const open = async (linkName: RegExp) => {
    await page.getByRole("link", { name: "Clinic admin", exact: true }).click();
    await page.getByRole("link", { name: linkName }).click();
  };

  beforeAll(async () => {
    clinicId = (await buildClinic(stage.app)).id;
    admin = await buildPerson(stage.app, "clinic_admin", { clinicIds: [clinicId] });
    doctor = await buildPerson(stage.app, "doctor", { clinicIds: [clinicId] });
    page = await pageSignedIn(stage.browser, stage.app.url, admin.user.email!);
  }, 120_000);

  it("creates a service (the server's field error on the field first) and edits it", async () => {
    await open(/^Services/);
    await page.getByText("No services yet.").waitFor();
    await page.getByLabel("Service name").fill("Check-up");
    await page.getByLabel("Length (minutes)").fill("7");
    await page.getByRole("button", { name: "Add service" }).click();
    await page.locator(".field-error").first().waitFor();
    expect(await page.getByLabel("Length (minutes)").getAttribute("aria-invalid")).toBe("true");
    await page.getByLabel("Length (minutes)").fill("15");
    await page.getByRole("button", { name: "Add service" }).click();
    await page.getByTestId("services").getByText("Check-up").waitFor();

    await page.getByRole("button", { name: "Edit Check-up" }).click();
    await page.getByLabel("Service name").fill("Annual check-up");
    await page.getByRole("button", { name: "Save changes" }).click();
    await page.getByRole("status").getByText("Annual check-up saved.").waitFor();
    await page.getByTestId("services").getByText("Annual check-up").waitFor();
    await screenshot(page, "admin-services");
  });

  it("previews a template without writing anything, then applies it", async () => {
    await open(/^Templates and bulk changes/);
    await page.getByLabel("Template name").fill("Monday mornings");
    await page.getByLabel("From", { exact: true }).fill("09:00");
    await page.getByLabel("Until", { exact: true }).fill("10:00");
    await page.getByLabel("Slot minutes").fill("15");
    await page.getByRole("button", { name: "Save template" }).click();
    await page.getByTestId("templates").getByText("Monday mornings").waitFor();

    const apply = page.locator("section", { has: page.getByRole("heading", { name: "Apply a template" }) });
    await apply.getByLabel("Template").selectOption({ label: "Monday mornings" });
    await apply.getByLabel("Doctor").selectOption(doctor.doctorId!);
    await apply.getByLabel("First day").fill(mondayIn(1));
    await apply.getByLabel("Last day").fill(addDays(mondayIn(1), 13));
    await apply.getByRole("button", { name: "Preview template" }).click();
    await apply.getByTestId("template-preview").getByText("8").waitFor();
    expect(await apply.getByText("Nothing has changed yet.").isVisible()).toBe(true);
    // The dry run wrote nothing: no slot, no rule.
    expect(await slotsOf(doctor.doctorId!)).toBe(0);
    expect((await call(stage.app, admin, "GET", `/doctors/${doctor.doctorId}/availability-rules?clinicId=${clinicId}`)).body.items).toHaveLength(0);
    await screenshot(page, "admin-templates");

    await apply.getByRole("button", { name: "Apply template" }).click();
    await apply.getByText("Applied: 1 rule(s), 8 slot(s) created.").waitFor();
    expect(await slotsOf(doctor.doctorId!)).toBe(8);
  });

  it("shows a CSV's bad row before importing anything, then imports the good file", async () => {
    await open(/^Import and export/);
    await page.getByLabel("Doctor").selectOption(doctor.doctorId!);
    const day = addDays(mondayIn(3), 2);
    await page.getByLabel("Or paste the file").fill(`date,start,end\n${day},09:00,09:30\n${day},11:00,10:00\n`);
    await page.getByRole("button", { name: "Preview import" }).click();
    const errors = page.getByTestId("import-errors");
    await errors.waitFor();
    expect(await errors.locator("tbody tr").count()).toBe(1);
    expect(await errors.locator("tbody td").first().textContent()).toBe("3");
    expect(await page.getByRole("button", { name: "Apply import" }).isDisabled()).toBe(true);
    const before = await slotsOf(doctor.doctorId!);
    await screenshot(page, "admin-import");

    // The good file through the file picker.
    await page.getByLabel("File", { exact: true }).setInputFiles({ name: "good.csv", mimeType: "text/csv", buffer: Buffer.from(`date,start,end\n${day},09:00,09:30\n${day},10:00,10:30\n`) });
    await page.getByRole("button", { name: "Preview import" }).click();
    await page.getByTestId("import-summary").getByText("2 slot(s) would be imported; 0 problem(s)").waitFor();
    expect(await slotsOf(doctor.doctorId!)).toBe(before);
    await page.getByRole("button", { name: "Apply import" }).click();
    await page.getByText("Imported 2 slot(s).").waitFor();
    expect(await slotsOf(doctor.doctorId!)).toBe(before + 2);
  });

  it("adds a booking rule and changes a clinic setting", async () => {
    await open(/^Booking rules and settings/);
    await page.getByText("No booking rules").waitFor();
    await page.getByLabel("Rule", { exact: true }).selectOption("maxAppointmentsPerDay");
    await page.getByLabel("Limit (appointments)").fill("12");
    await page.getByRole("button", { name: "Add rule" }).click();
    await page.getByTestId("booking-rules").locator("strong", { hasText: "Most appointments per doctor per day: 12 appointments" }).waitFor();

    await page.getByLabel("Walk-in interleave").fill("2");
    await page.getByRole("button", { name: "Save settings" }).click();
    await page.getByText("Settings saved.").waitFor();
    expect((await call(stage.app, admin, "GET", `/clinics/${clinicId}`)).body.settings.walkInInterleave).toBe(2);
    await screenshot(page, "admin-rules");
  });

  it("adds a receptionist to the staff; a platform admin approves a pending doctor", async () => {
    const receptionist = await buildPerson(stage.app, "receptionist");
    await open(/^Staff and doctor approval/);
    await page.getByLabel("Account id").fill(receptionist.user.id);
    await page.getByRole("button", { name: "Add member" }).click();
    await page.getByTestId("members").getByText(receptionist.user.displayName).waitFor();

    const pending = await buildPerson(stage.app, "doctor", { clinicIds: [clinicId], approved: false });
    await call(stage.app, pending, "POST", `/doctors/${pending.doctorId}/credentials`, { registrationBody: "General Medical Council", registrationNumber: "7654321" });
    expect((await uploadDocument(stage.app, pending, pending.doctorId!, "registration", "GMC certificate.pdf", PDF_BYTES)).status).toBe(201);
    const platform = await buildPerson(stage.app, "platform_admin");
    const platformPage = await pageSignedIn(stage.browser, stage.app.url, platform.user.email!);
    await platformPage.getByRole("link", { name: "Clinic admin", exact: true }).click();
    await platformPage.getByRole("link", { name: /^Staff and doctor approval/ }).click();
    const row = platformPage.getByTestId("pending-doctors").locator("li", { hasText: pending.user.displayName });
    await row.getByText("General Medical Council 7654321").waitFor();
    await screenshot(platformPage, "admin-staff");
    await row.getByRole("button", { name: `Approve ${pending.user.displayName}` }).click();
    await platformPage.getByRole("status").getByText(`${pending.user.displayName} approved`).waitFor();
    expect((await call(stage.app, platform, "GET", `/doctors/${pending.doctorId}`)).body.approval.status).toBe("approved");

    await platformPage.getByRole("link", { name: "Clinic admin", exact: true }).click();
    await platformPage.getByRole("link", { name: /^Audit log/ }).click();
    await platformPage.getByLabel("Action").fill("doctor.approve");
    await platformPage.getByRole("button", { name: "Filter" }).click();
    await platformPage.getByTestId("audit").getByText("doctor.approve").first().waitFor();
    await platformPage.context().close();
  });

  it("the audit log shows what the admin just did, and filters by action", async () => {
    await open(/^Audit log/);
    const table = page.getByTestId("audit");
    for (const action of ["clinic.service.create", "clinic.service.update", "schedule.template.apply", "scheduling.slots.import", "scheduling.booking_rule.create", "clinic.member.add"]) {
      await table.getByText(action, { exact: true }).first().waitFor();
    }
    await screenshot(page, "admin-audit");
    await page.getByLabel("Action").fill("clinic.service.update");
    await page.getByRole("button", { name: "Filter" }).click();
    await table.locator("tbody tr").nth(1).waitFor({ state: "detached" });
    expect(await table.locator("tbody tr td.mono").allTextContents()).toEqual(["clinic.service.update"]);
  });
});
