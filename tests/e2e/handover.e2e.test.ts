/**
 * Handing appointments over in the browser (docs/handover.md): a doctor previews today's list going
 * to a colleague (one visit has a free slot of theirs at that time, one does not and stays, saying
 * why), hands it over with a reason, and both doctors' "My day" screens follow live — the visit
 * leaves the giving doctor's timeline and appears on the colleague's. The clinic admin's screen
 * picks the giving doctor. Checked with axe-core, screenshots at 390, 768 and 1366 px.
 */
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { buildAppointment, buildDoctor, buildMiddayClinic, buildNamedPatient, buildPerson, buildSlotFromNow } from "../support/factories";
import { query } from "../support/db";
import { axeViolations, pageSignedIn, screenshot, useBrowserStage } from "../support/browser";

const LONG = { timeout: 10_000 };
const MINUTE = 60_000;

describe("handover (browser)", () => {
  const stage = useBrowserStage();

  async function myDay(email: string): Promise<Page> {
    const page = await pageSignedIn(stage.browser, stage.app.url, email, { viewport: { width: 1100, height: 900 } });
    await page.getByRole("link", { name: "My day", exact: true }).click();
    await page.locator("main .live-indicator[data-status=live]").first().waitFor(LONG);
    return page;
  }
  const onTimeline = (page: Page, name: string) => page.getByTestId("timeline-patient").filter({ hasText: name });

  /** A visit of `doctorId` with a patient named `name`, starting at `start` today. */
  async function visit(clinicId: string, doctorId: string, name: string, start: Date) {
    const patient = await buildNamedPatient(stage.app, name);
    const slot = await buildSlotFromNow(stage.app, { doctorId, clinicId, fromNowMinutes: 0, startsAt: start, status: "booked" });
    return (await buildAppointment(stage.app, { slot, patientId: patient.patientId })).id;
  }

  it("the doctor previews, hands over with a reason, and both doctors' days follow live", { timeout: 60_000 }, async () => {
    const clinic = await buildMiddayClinic(stage.app);
    const from = await buildDoctor(stage.app, [clinic.id]);
    const to = await buildDoctor(stage.app, [clinic.id]);
    await query(stage.app, `update doctor set display_name = 'Dr Giver' where id = ?`, [from.doctorId]);
    await query(stage.app, `update doctor set display_name = 'Dr Taker' where id = ?`, [to.doctorId]);
    const soon = new Date(Math.ceil(Date.now() / MINUTE) * MINUTE + 40 * MINUTE);
    const later = new Date(soon.getTime() + 30 * MINUTE);
    const moving = await visit(clinic.id, from.doctorId, "Nell Nightingale", soon);
    await visit(clinic.id, from.doctorId, "Otto Osprey", later);
    // The colleague is free when Nell comes, and has no slot when Otto does (no overbooking policy).
    await buildSlotFromNow(stage.app, { doctorId: to.doctorId, clinicId: clinic.id, fromNowMinutes: 0, startsAt: soon });

    const giverDay = await myDay(from.user.email!);
    const takerDay = await myDay(to.user.email!);
    await onTimeline(giverDay, "Nell Nightingale").waitFor(LONG);
    expect(await onTimeline(takerDay, "Nell Nightingale").count()).toBe(0);

    const page = await pageSignedIn(stage.browser, stage.app.url, from.user.email!, { viewport: { width: 1366, height: 900 }, bypassCSP: true });
    await page.getByRole("link", { name: "Hand over", exact: true }).click();
    await page.getByRole("heading", { name: "Hand appointments over" }).waitFor();
    await page.getByLabel("To").selectOption({ label: "Dr Taker" });
    await page.getByRole("button", { name: "Preview" }).click();
    const items = page.getByTestId("handover-items");
    await items.getByText("Nell Nightingale").waitFor(LONG);
    expect(await items.locator("li.handover-free").textContent()).toContain("Nell Nightingale");
    const stays = items.locator("li.handover-stays");
    expect(await stays.textContent()).toMatch(/Otto Osprey.*Dr Taker has no free slot then and the clinic allows no overbooking/);
    for (const width of [390, 768, 1366]) {
      await page.setViewportSize({ width, height: 900 });
      await screenshot(page, `handover-preview-${width}`);
    }
    await page.setViewportSize({ width: 1366, height: 900 });

    await page.getByLabel("Reason (the patients see it)").fill("Dr Giver is at a conference");
    await page.getByRole("button", { name: "Hand over 1 appointment" }).click();
    await page.getByRole("status").getByText("1 appointment handed to Dr Taker; the patients are told. 1 stays.").waitFor(LONG);
    expect((await query<{ doctor_id: string }>(stage.app, `select doctor_id from appointment where id = ?`, [moving]))[0]!.doctor_id).toBe(to.doctorId);

    // Both doctors' days follow, without a reload.
    await onTimeline(takerDay, "Nell Nightingale").waitFor(LONG);
    await onTimeline(giverDay, "Nell Nightingale").waitFor({ state: "detached", ...LONG });
    await onTimeline(giverDay, "Otto Osprey").waitFor();
    await screenshot(takerDay, "handover-taker-day");

    expect(await axeViolations(page, `${stage.app.url}/doctor/handover`)).toEqual([]);
  });

  it("the clinic admin picks the giving doctor; a range with nothing in it says so", { timeout: 60_000 }, async () => {
    const clinic = await buildMiddayClinic(stage.app);
    const admin = await buildPerson(stage.app, "clinic_admin", { clinicIds: [clinic.id] });
    const from = await buildDoctor(stage.app, [clinic.id]);
    await buildDoctor(stage.app, [clinic.id]);
    await query(stage.app, `update doctor set display_name = 'Dr Away' where id = ?`, [from.doctorId]);
    const page = await pageSignedIn(stage.browser, stage.app.url, admin.user.email!, { viewport: { width: 768, height: 900 }, bypassCSP: true });
    await page.goto(`${stage.app.url}/admin`);
    await page.getByRole("link", { name: /Hand over appointments/ }).click();
    await page.getByLabel("From", { exact: true }).selectOption({ label: "Dr Away" });
    await page.getByLabel("To").selectOption({ index: 1 });
    await page.getByRole("button", { name: "Preview" }).click();
    await page.getByText("No appointments in these days.").waitFor(LONG);
    await screenshot(page, "handover-admin-768");
    expect(await axeViolations(page, `${stage.app.url}/admin/handover`)).toEqual([]);
  });
});
