/**
 * The clinic admin's analytics in the browser: a clinic with visits over the last days (completed,
 * a no-show, a cancellation, free time), the tiles say the counts, the doctors' table and the day
 * table behind the chart agree with them, the heatmap shades the busy hour; axe-clean; screenshots
 * at 390, 768 and 1366 px.
 */
import { describe, expect, it } from "vitest";
import { buildAppointment, buildDoctor, buildMiddayClinic, buildNamedPatient, buildPatient, buildPerson, buildSlot } from "../support/factories";
import { call } from "../support/api";
import { query } from "../support/db";
import { axeViolations, pageSignedIn, screenshot, useBrowserStage } from "../support/browser";

const DAY = 86_400_000;

describe("analytics dashboard (browser)", () => {
  const stage = useBrowserStage();

  it("shows the figures of the last 30 days: tiles, doctors, the days behind the chart, the heatmap", { timeout: 60_000 }, async () => {
    // Midday in the clinic's zone: a visit later today is still today's there.
    const clinic = await buildMiddayClinic(stage.app);
    const admin = await buildPerson(stage.app, "clinic_admin", { clinicIds: [clinic.id] });
    const doctor = await buildDoctor(stage.app, [clinic.id]);
    await query(stage.app, `update doctor set display_name = 'Dr Figures' where id = ?`, [doctor.doctorId]);
    // Four visits on days 3 to 6 ago at 10:00 UTC (three completed, one a no-show), one cancelled, and a free slot.
    const base = new Date(Math.floor(Date.now() / DAY) * DAY + 10 * 3_600_000);
    const statuses = ["completed", "completed", "completed", "no_show", "cancelled"];
    for (const [i, status] of statuses.entries()) {
      const slot = await buildSlot(stage.app, { doctorId: doctor.doctorId, clinicId: clinic.id, start: new Date(base.getTime() - (3 + i) * DAY), minutes: 30, status: status === "cancelled" ? "available" : "booked" });
      const patient = await buildNamedPatient(stage.app);
      const appointment = await buildAppointment(stage.app, { slot, patientId: patient.patientId });
      await query(stage.app, `update appointment set status = ? where id = ?`, [status, appointment.id]);
    }
    await buildSlot(stage.app, { doctorId: doctor.doctorId, clinicId: clinic.id, start: new Date(base.getTime() - 3 * DAY + 30 * 60_000), minutes: 30 });

    const page = await pageSignedIn(stage.browser, stage.app.url, admin.user.email!, { viewport: { width: 1366, height: 900 }, bypassCSP: true });
    await page.goto(`${stage.app.url}/admin`);
    await page.getByRole("link", { name: /Analytics/ }).click();
    const tiles = page.getByTestId("analytics-tiles");
    await tiles.getByText("Bookings").waitFor({ timeout: 10_000 });
    const tile = async (label: string) => (await tiles.locator("li", { hasText: label }).locator("strong").textContent())?.trim();
    expect(await tile("Bookings")).toBe("5");
    expect(await tile("Completed")).toBe("3");
    expect(await tile("No-show rate")).toBe("20.0 %");
    expect(await tile("Cancellation rate")).toBe("20.0 %");
    // 4 booked half-hours of 6 bookable (the cancelled one's slot and the free one are not booked).
    expect(await tile("Occupancy")).toBe("66.7 %");
    const doctors = page.getByTestId("analytics-doctors");
    expect(await doctors.locator("tr", { hasText: "Dr Figures" }).locator("td").first().textContent()).toBe("5");
    await page.getByText("The numbers behind the chart").click();
    const days = page.getByTestId("analytics-series");
    expect(await days.locator("tbody tr").count()).toBe(30);
    const bookingsPerDay = await days.locator("tbody tr td:nth-of-type(1)").allTextContents();
    expect(bookingsPerDay.map(Number).reduce((a, b) => a + b, 0)).toBe(5);
    // The day with a booked and a free half-hour at 10:00 reads 50 %; the fully booked ones 100 %.
    await page.getByTestId("analytics-heatmap").getByText("50%").waitFor();
    await page.getByTestId("analytics-heatmap").getByText("100%").first().waitFor();
    // Live: a patient books later today; the tile follows without a reload.
    await page.getByTestId("analytics-live").locator("[data-status=live]").waitFor({ timeout: 10_000 });
    const later = await buildSlot(stage.app, { doctorId: doctor.doctorId, clinicId: clinic.id, start: new Date(Date.now() + 3_600_000), minutes: 30 });
    const patient = await buildPatient(stage.app, { tier: "vise", relatedTo: doctor.doctorId });
    const held = await call(stage.app, patient, "POST", "/appointments", { slotId: later.id });
    expect(held.status).toBe(201);
    expect((await call(stage.app, patient, "POST", `/appointments/${held.body.id}/confirm`)).status).toBe(200);
    await tiles.locator("li", { hasText: "Bookings" }).locator("strong", { hasText: /^6$/ }).waitFor({ timeout: 5_000 });

    // The same figures as a CSV file.
    const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Download CSV" }).click()]);
    expect(download.suggestedFilename()).toMatch(/^analytics-.+\.csv$/);
    const text = await (await download.createReadStream()).toArray();
    expect(Buffer.concat(text).toString("utf8").split("\r\n")[1]).toMatch(/^clinic,[^,]+,6,3,1,1,/);
    for (const width of [390, 768, 1366]) {
      await page.setViewportSize({ width, height: 900 });
      await screenshot(page, `analytics-${width}`);
    }
    expect(await axeViolations(page, `${stage.app.url}/admin/analytics`)).toEqual([]);
  });

  it("a doctor sees their own figures (not a colleague's), live", { timeout: 60_000 }, async () => {
    const clinic = await buildMiddayClinic(stage.app);
    const [mine, colleague] = [await buildDoctor(stage.app, [clinic.id]), await buildDoctor(stage.app, [clinic.id])];
    const base = new Date(Math.floor(Date.now() / DAY) * DAY + 10 * 3_600_000);
    for (const [doctor, daysAgo] of [[mine, 2], [colleague, 2], [colleague, 3]] as const) {
      const slot = await buildSlot(stage.app, { doctorId: doctor.doctorId, clinicId: clinic.id, start: new Date(base.getTime() - daysAgo * DAY), minutes: 30, status: "booked" });
      const appointment = await buildAppointment(stage.app, { slot, patientId: (await buildNamedPatient(stage.app)).patientId });
      await query(stage.app, `update appointment set status = 'completed' where id = ?`, [appointment.id]);
    }
    const page = await pageSignedIn(stage.browser, stage.app.url, mine.user.email!, { viewport: { width: 768, height: 900 }, bypassCSP: true });
    await page.getByRole("link", { name: "My figures", exact: true }).click();
    const tiles = page.getByTestId("analytics-tiles");
    await tiles.locator("li", { hasText: "Bookings" }).locator("strong", { hasText: /^1$/ }).waitFor({ timeout: 10_000 });
    expect(await page.getByTestId("analytics-doctors").count()).toBe(0);
    await page.getByTestId("analytics-live").locator("[data-status=live]").waitFor({ timeout: 10_000 });
    await screenshot(page, "analytics-doctor-768");
    expect(await axeViolations(page, `${stage.app.url}/doctor/analytics`)).toEqual([]);
  });
});
