/**
 * The doctor's availability in the browser: a rule is saved only after its preview (the server's
 * field error shown on its field first), and time off shows the booked appointments it hits, with
 * the patient's name, before it is saved (a dry run that writes nothing).
 */
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { localDateOf } from "@clinic/shared";
import { buildAppointmentFromNow, buildDoctor, buildMiddayClinic, buildNamedPatient, buildPerson, buildSlotFromNow } from "../support/factories";
import { query } from "../support/db";
import { pageSignedIn, PHONE, screenshot, useBrowserStage } from "../support/browser";

const LONG = { timeout: 10_000 };

describe("doctor: availability and time off (browser)", () => {
  const stage = useBrowserStage();

  async function open(email: string, link: string): Promise<Page> {
    const page = await pageSignedIn(stage.browser, stage.app.url, email, { viewport: { width: 1100, height: 1000 } });
    await page.getByRole("link", { name: link, exact: true }).click();
    return page;
  }

  it("creates an availability rule after previewing it", async () => {
    const clinic = await buildMiddayClinic(stage.app);
    const doctor = await buildDoctor(stage.app, [clinic.id]);
    const page = await open(doctor.user.email!, "Availability");
    await page.getByText("No availability rules yet").waitFor(LONG);

    await page.getByRole("button", { name: "Add a rule" }).click();
    const save = page.getByRole("button", { name: "Save rule" });
    expect(await save.isDisabled()).toBe(true);

    // The server refuses the hours: its message lands on the field.
    await page.getByLabel("Ends at").fill("08:00");
    await page.getByRole("button", { name: "Preview" }).click();
    await page.locator(".field-error").filter({ hasText: "after startTime" }).waitFor(LONG);
    expect(await page.getByLabel("Ends at").getAttribute("aria-invalid")).toBe("true");
    expect(await save.isDisabled()).toBe(true);

    await page.getByLabel("Ends at").fill("12:00");
    // Two weeks keep the materialisation small.
    await page.getByLabel("Until day (optional)").fill(localDateOf(new Date(Date.now() + 13 * 86_400_000), clinic.timeZone));
    await page.getByLabel("Note (optional)").fill("Morning list");
    await page.getByRole("button", { name: "Preview" }).click();
    const preview = page.getByTestId("rule-preview");
    await preview.getByRole("heading", { name: /Preview: \d+ slots/ }).waitFor(LONG);
    expect(await save.isDisabled()).toBe(false);
    await screenshot(page, "doctor-availability");
    expect(await query(stage.app, `select id from availability_rule where doctor_id = ?`, [doctor.doctorId])).toHaveLength(0);

    // Changing the rule after the preview asks for a new one.
    await page.getByLabel("Slot length (minutes)").fill("20");
    expect(await save.isDisabled()).toBe(true);
    await page.getByRole("button", { name: "Preview" }).click();
    await preview.waitFor(LONG);
    await save.click();
    await page.getByRole("status").filter({ hasText: /Rule created: \d+ slots created/ }).waitFor(LONG);
    await page.getByTestId("rules").getByText("Weekly on Mon, Tue, Wed, Thu, Fri, 09:00–12:00, 20-minute slots").waitFor();
    const [rule] = await query<{ slot_minutes: number; note: string }>(stage.app, `select slot_minutes, note from availability_rule where doctor_id = ?`, [doctor.doctorId]);
    expect(rule).toEqual({ slot_minutes: 20, note: "Morning list" });
  });

  it("a clinic admin sets a part-time cap; the doctor's preview shows the week's hours against it, and saving waits for a rule within it", async () => {
    const clinic = await buildMiddayClinic(stage.app);
    const doctor = await buildDoctor(stage.app, [clinic.id]);
    const admin = await buildPerson(stage.app, "clinic_admin", { clinicIds: [clinic.id] });

    const adminPage = await pageSignedIn(stage.browser, stage.app.url, admin.user.email!, { viewport: { width: 1366, height: 768 } });
    await adminPage.goto(`${stage.app.url}/admin/staff`);
    const row = adminPage.getByTestId(`contract-${doctor.doctorId}`);
    await row.getByLabel("Employment").selectOption("part_time");
    await row.getByLabel("Most hours a week").fill("10");
    await row.getByRole("button", { name: "Save contract" }).click();
    await row.getByRole("status").filter({ hasText: "part-time, at most 10 h a week" }).waitFor(LONG);
    for (const [name, viewport] of Object.entries({ phone: PHONE, tablet: { width: 768, height: 1024 }, desktop: { width: 1366, height: 768 } })) {
      await adminPage.setViewportSize(viewport);
      await screenshot(adminPage, `admin-contracts-${name}`);
    }
    expect(await query(stage.app, `select employment_type, max_hours_per_week from doctor where id = ?`, [doctor.doctorId])).toEqual([{ employment_type: "part_time", max_hours_per_week: 10 }]);

    const page = await open(doctor.user.email!, "Availability");
    await page.getByTestId("contract").filter({ hasText: "Part-time · at most 10 h a week" }).waitFor(LONG);
    await page.getByRole("button", { name: "Add a rule" }).click();
    await page.getByLabel("Ends at").fill("12:00");
    await page.getByLabel("Until day (optional)").fill(localDateOf(new Date(Date.now() + 13 * 86_400_000), clinic.timeZone));
    await page.getByRole("button", { name: "Preview" }).click();
    const hours = page.getByTestId("weekly-hours");
    await hours.getByText(/15 h of 10 — over the cap/).first().waitFor(LONG);
    const save = page.getByRole("button", { name: "Save rule" });
    expect(await save.isDisabled()).toBe(true);
    await screenshot(page, "doctor-availability-over-cap");

    await page.getByLabel("Ends at").fill("11:00");
    await page.getByRole("button", { name: "Preview" }).click();
    await hours.getByText(/10 h of 10$/).first().waitFor(LONG);
    expect(await hours.getByText("over the cap").count()).toBe(0);
    await save.click();
    await page.getByRole("status").filter({ hasText: /Rule created/ }).waitFor(LONG);
    await page.getByTestId("contract").filter({ hasText: "your rules give up to 10 h" }).waitFor(LONG);
  });

  it("shows the appointments time off would hit before saving it", async () => {
    const clinic = await buildMiddayClinic(stage.app);
    const doctor = await buildDoctor(stage.app, [clinic.id]);
    const tess = await buildNamedPatient(stage.app, "Tess Timeoff");
    const appointment = (await buildAppointmentFromNow(stage.app, { doctorId: doctor.doctorId, clinicId: clinic.id, patientId: tess.patientId, fromNowMinutes: 24 * 60 })).id;
    const free = (await buildSlotFromNow(stage.app, { doctorId: doctor.doctorId, clinicId: clinic.id, fromNowMinutes: 24 * 60 + 60 })).id;
    const tomorrow = localDateOf(new Date(Date.now() + 86_400_000), clinic.timeZone);

    const page = await open(doctor.user.email!, "Time off");
    await page.getByText("No time off planned.").waitFor(LONG);
    await page.getByLabel("Kind").selectOption("conference");
    await page.getByLabel("From day").fill(tomorrow);
    await page.getByLabel("Until day").fill(tomorrow);
    await page.getByLabel("Reason").fill("Conference in Leeds");
    const save = page.getByRole("button", { name: "Save time off" });
    expect(await save.isDisabled()).toBe(true);

    await page.getByRole("button", { name: "Check conflicts" }).click();
    const preview = page.getByTestId("time-off-preview");
    await preview.getByRole("heading", { name: "1 booked appointment in this time" }).waitFor(LONG);
    await preview.getByText("Tess Timeoff").waitFor();
    await preview.getByText("1 free slot will be blocked.").waitFor();
    await preview.getByText("These stay booked").waitFor();
    await screenshot(page, "doctor-time-off");
    // The check wrote nothing.
    expect(await query(stage.app, `select id from unavailability where doctor_id = ?`, [doctor.doctorId])).toHaveLength(0);
    expect((await query<{ status: string }>(stage.app, `select status from slot where id = ?`, [free]))[0]!.status).toBe("available");

    await save.click();
    await page.getByRole("status").filter({ hasText: "Time off saved: 1 free slot blocked." }).waitFor(LONG);
    await page.getByTestId("time-off").getByText("Conference in Leeds").waitFor();
    expect((await query<{ status: string }>(stage.app, `select status from slot where id = ?`, [free]))[0]!.status).toBe("blocked");
    expect((await query<{ status: string }>(stage.app, `select status from appointment where id = ?`, [appointment]))[0]!.status).toBe("scheduled");
  });
});
