/**
 * The paid booking in the browser with the simulated provider (no Stripe key): the patient holds a
 * slot, pays on the local checkout page, comes back and sees the visit booked; a declined payment
 * releases the slot. The page drives the same signed-webhook handler as Stripe's deliveries.
 */
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { buildDoctor, buildMiddayClinic, buildPatient, buildSlotFromNow, grantPoints } from "../support/factories";
import { balanceOf } from "../support/api";
import { query } from "../support/db";
import { axeViolations, pageSignedIn, PHONE, screenshot, useBrowserStage } from "../support/browser";

describe("paying for a booking on the simulated checkout page (browser, phone)", () => {
  const stage = useBrowserStage();

  /** A standard-tier patient (who pays) on a paid doctor's week, with `points` loyalty points. */
  async function weekOnPhone(doctorName: string, points = 0) {
    const clinicId = (await buildMiddayClinic(stage.app)).id;
    const doctor = await buildDoctor(stage.app, [clinicId]);
    await query(stage.app, `update doctor set display_name = ?, consultation_fee_minor = 4500 where id = ?`, [doctorName, doctor.doctorId]);
    const slotId = (await buildSlotFromNow(stage.app, { doctorId: doctor.doctorId, clinicId, fromNowMinutes: 26 * 60, minutes: 30 })).id;
    const patient = await buildPatient(stage.app, { tier: "standard" });
    if (points > 0) await grantPoints(stage.app, patient.patientId, clinicId, points);
    const page = await pageSignedIn(stage.browser, stage.app.url, patient.user.email!, { viewport: PHONE });
    await page.goto(`${stage.app.url}/patient/doctors/${doctor.doctorId}`);
    return { page, slotId, doctorId: doctor.doctorId, patient };
  }

  async function holdOnPhone(doctorName: string) {
    const week = await weekOnPhone(doctorName);
    await week.page.locator(`[data-slot-id="${week.slotId}"][data-state=free]`).click();
    await week.page.getByRole("heading", { name: "Confirm your appointment" }).waitFor();
    return week;
  }

  const appointmentOf = async (slotId: string) =>
    (await query<{ id: string; status: string; payment_status: string }>(stage.app, `select id, status, payment_status from appointment where slot_id = ? order by created_at desc limit 1`, [slotId]))[0]!;
  const slotStatus = async (slotId: string) => (await query<{ status: string }>(stage.app, `select status from slot where id = ?`, [slotId]))[0]!.status;

  async function checkout(page: Page, choice: "Pay" | "Decline") {
    await page.getByRole("button", { name: /^Pay / }).click();
    await page.getByRole("heading", { name: "Checkout" }).waitFor({ timeout: 10_000 });
    await screenshot(page, "payment-checkout");
    if (choice === "Decline") {
      // The checkout page is WCAG 2.1 AA clean too (read in a second context that lets axe in), and seen at each width.
      const checker = await (await stage.browser.newContext({ bypassCSP: true, viewport: PHONE })).newPage();
      expect(await axeViolations(checker, page.url())).toEqual([]);
      for (const width of [768, 1366]) {
        await checker.setViewportSize({ width, height: 900 });
        await screenshot(checker, `payment-checkout-${width}`);
      }
      await checker.context().close();
    }
    await page.getByRole("button", { name: choice === "Pay" ? /^Pay £\d/ : "Decline", exact: choice !== "Pay" }).click();
    await page.locator("[data-outcome]").waitFor({ timeout: 10_000 });
    await screenshot(page, `payment-result-${choice.toLowerCase()}`);
    await page.getByRole("link", { name: "Return to Clinic Live" }).click();
  }

  it("pays on the checkout page and comes back to the visit booked; the doctor's wallet is credited", async () => {
    const { page, slotId, doctorId } = await holdOnPhone("Dr Paid Visit");
    expect(await page.getByRole("button", { name: "Confirm booking" }).count()).toBe(0);
    // £45.00 plus the 2 % transaction fee.
    await page.getByRole("button", { name: "Pay £45.90" }).waitFor();
    const before = await appointmentOf(slotId);
    expect([before.status, before.payment_status]).toEqual(["pending", "unpaid"]);

    await checkout(page, "Pay");
    await page.getByRole("heading", { name: "Booked" }).waitFor({ timeout: 10_000 });
    await screenshot(page, "payment-booked");
    const after = await appointmentOf(slotId);
    expect([after.status, after.payment_status]).toEqual(["scheduled", "paid"]);
    expect(await slotStatus(slotId)).toBe("booked");
    const credits = await query<{ amount_minor: number }>(stage.app, `select amount_minor from wallet_entry where doctor_id = ? and kind = 'credit'`, [doctorId]);
    expect(credits.map((c) => Number(c.amount_minor))).toEqual([4500]);
  });

  it("moves a paid visit to a dearer time: pays only the difference, and comes back to the visit moved", async () => {
    const { page, slotId, doctorId } = await holdOnPhone("Dr Dearer Move");
    await checkout(page, "Pay");
    await page.getByRole("heading", { name: "Booked" }).waitFor({ timeout: 10_000 });
    const visit = await appointmentOf(slotId);
    const [slot] = await query<{ clinic_id: string }>(stage.app, `select clinic_id from slot where id = ?`, [slotId]);
    const clinicId = slot!.clinic_id;
    const dearer = (await buildSlotFromNow(stage.app, { doctorId, clinicId, fromNowMinutes: 26 * 60 + 60, minutes: 30 })).id;
    const [service] = await query<{ id: string }>(
      stage.app,
      `insert into clinic_service (id, clinic_id, name, duration_minutes, colour, price_minor, currency, payment_required, active, created_at, updated_at)
       values (gen_random_uuid(), ?, 'Long consultation', 30, '#336699', 5000, 'GBP', true, true, now(), now()) returning id`,
      [clinicId],
    );
    await query(stage.app, `update slot set service_id = ? where id = ?`, [service!.id, dearer]);

    await page.goto(`${stage.app.url}/patient/appointments/${visit.id}/reschedule`);
    await page.locator(`[data-slot-id="${dearer}"][data-state=free]`).click();
    await page.getByRole("heading", { name: "Pay the difference to move your visit" }).waitFor({ timeout: 10_000 });
    // £45.90 is paid; the new time costs £51.00 with its fee: the difference is £5.10, and the visit stays until it is paid.
    await page.getByRole("button", { name: "Pay £5.10" }).waitFor();
    await screenshot(page, "payment-move-difference");
    for (const width of [768, 1366]) {
      await page.setViewportSize({ width, height: 900 });
      await screenshot(page, `payment-move-difference-${width}`);
    }
    expect(await appointmentOf(slotId)).toMatchObject({ status: "scheduled", payment_status: "paid" });

    await checkout(page, "Pay");
    await page.getByRole("heading", { name: "Moved" }).waitFor({ timeout: 10_000 });
    expect([await slotStatus(slotId), await slotStatus(dearer)]).toEqual(["available", "booked"]);
    const moved = await appointmentOf(dearer);
    expect([moved.status, moved.payment_status]).toEqual(["scheduled", "paid"]);
    const charges = await query<{ amount_minor: number }>(stage.app, `select amount_minor from payment_transaction where appointment_id = ? and kind = 'charge' order by created_at`, [moved.id]);
    expect(charges.map((c) => Number(c.amount_minor))).toEqual([4590, 510]);
  });

  it("declines on the checkout page: the hold ends and the slot is free again", async () => {
    const { page, slotId } = await holdOnPhone("Dr Declined Visit");
    await checkout(page, "Decline");
    await page.getByRole("heading", { name: "This hold has ended" }).waitFor({ timeout: 10_000 });
    const after = await appointmentOf(slotId);
    expect([after.status, after.payment_status]).toEqual(["cancelled", "failed"]);
    expect(await slotStatus(slotId)).toBe("available");
  });

  it("spends loyalty points for a free booking from the week; too few points are explained, nothing held", async () => {
    // The clinic's default: a free booking takes 100 points.
    const rich = await weekOnPhone("Dr Points Taken", 150);
    await rich.page.getByLabel(/Use my loyalty points for a free booking \(I have 150 points\)/).check();
    await rich.page.locator(`[data-slot-id="${rich.slotId}"][data-state=free]`).click();
    await rich.page.getByText("This booking is free for you.").waitFor({ timeout: 10_000 });
    await rich.page.getByRole("button", { name: "Confirm booking" }).click();
    await rich.page.getByRole("heading", { name: "Booked" }).waitFor();
    expect((await appointmentOf(rich.slotId)).payment_status).toBe("not_required");
    expect(await balanceOf(stage.app, rich.patient)).toBe(50);

    const poor = await weekOnPhone("Dr Points Short", 40);
    await poor.page.getByLabel(/I have 40 points/).check();
    await poor.page.locator(`[data-slot-id="${poor.slotId}"][data-state=free]`).click();
    await poor.page.getByRole("alert").filter({ hasText: "takes 100 points; the balance is 40" }).waitFor({ timeout: 10_000 });
    expect(await slotStatus(poor.slotId)).toBe("available");
    expect(await balanceOf(stage.app, poor.patient)).toBe(40);
  });
});
