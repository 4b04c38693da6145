/**
 * The paid booking in the browser with the simulated provider (no Stripe key): the patient holds a
 * slot, pays on the local checkout page, comes back and sees the visit booked; a declined payment
 * releases the slot. The page drives the same signed-webhook handler as Stripe's deliveries.
 */
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { patientOn } from "../booking/support";
import { doctorAt, middayClinic, query, slotAt } from "../queue/queue-support";
import { PHONE, pageSignedIn, screenshot, useBrowserStage } from "./browser";

describe("paying for a booking on the simulated checkout page (browser, phone)", () => {
  const stage = useBrowserStage();

  async function holdOnPhone(doctorName: string) {
    const clinicId = (await middayClinic(stage.app)).id;
    const doctor = await doctorAt(stage.app, [clinicId]);
    await query(stage.app, `update doctor set display_name = ?, consultation_fee_minor = 4500 where id = ?`, [doctorName, doctor.doctorId]);
    const slotId = await slotAt(stage.app, { doctorId: doctor.doctorId, clinicId, fromNowMinutes: 26 * 60, minutes: 30 });
    // The standard tier pays for its bookings.
    const patient = await patientOn(stage.app, "standard");
    const page = await pageSignedIn(stage.browser, stage.app.url, patient.user.email!, { viewport: PHONE });
    await page.goto(`${stage.app.url}/patient/doctors/${doctor.doctorId}`);
    await page.locator(`[data-slot-id="${slotId}"][data-state=free]`).click();
    await page.getByRole("heading", { name: "Confirm your appointment" }).waitFor();
    return { page, slotId, doctorId: doctor.doctorId };
  }

  const appointmentOf = async (slotId: string) =>
    (await query<{ id: string; status: string; payment_status: string }>(stage.app, `select id, status, payment_status from appointment where slot_id = ? order by created_at desc limit 1`, [slotId]))[0]!;
  const slotStatus = async (slotId: string) => (await query<{ status: string }>(stage.app, `select status from slot where id = ?`, [slotId]))[0]!.status;

  async function checkout(page: Page, choice: "Pay" | "Decline") {
    await page.getByRole("button", { name: /^Pay / }).click();
    await page.getByRole("heading", { name: "Checkout" }).waitFor({ timeout: 10_000 });
    await screenshot(page, "payment-checkout");
    await page.getByRole("button", { name: choice, exact: true }).click();
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

  it("declines on the checkout page: the hold ends and the slot is free again", async () => {
    const { page, slotId } = await holdOnPhone("Dr Declined Visit");
    await checkout(page, "Decline");
    await page.getByRole("heading", { name: "This hold has ended" }).waitFor({ timeout: 10_000 });
    const after = await appointmentOf(slotId);
    expect([after.status, after.payment_status]).toEqual(["cancelled", "failed"]);
    expect(await slotStatus(slotId)).toBe("available");
  });
});
