/** No Stripe key (outside production): the simulated provider's page drives the same webhook handler. */
import { describe, expect, it } from "vitest";
import { useApp } from "../support/harness";
import { buildClinicWithPaidDoctor, FEE, paidHold, TRANSACTION_FEE } from "../support/paid-visits";
import { count, query, statusOf } from "../support/db";
import { appointmentRow } from "./support";
import { deliver, paidSession, signedEvent } from "../support/stripe-standin";

describe("simulated payment provider", () => {
  const app = useApp({ LOG_LEVEL: "error" });

  const post = (url: string) => fetch(url, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "" });

  it("Pay on the local checkout page books and credits; the page is closed afterwards", async () => {
    const { slots, patient, doctor } = await buildClinicWithPaidDoctor(app);
    const held = await paidHold(app, patient, slots[0]!.id);
    expect(held.checkoutUrl).toMatch(new RegExp(`^${app.url}/api/v1/payments/simulated/cs_sim_[0-9a-f]{32}$`));
    const shown = await fetch(held.checkoutUrl!);
    expect(shown.status).toBe(200);
    const html = await shown.text();
    expect(html).toContain("£51.51");
    expect(html).toContain(">Pay £51.51</button>");
    const paid = await post(`${held.checkoutUrl!}/pay`);
    expect(paid.status).toBe(200);
    expect(await paid.text()).toContain('data-outcome="booked"');
    expect(await appointmentRow(app, held.id)).toMatchObject({ status: "scheduled", payment_status: "paid" });
    expect(await statusOf(app, "slot", slots[0]!.id)).toBe("booked");
    const [credit] = await query<{ amount_minor: number }>(app, `select amount_minor from wallet_entry where doctor_id = ? and kind = 'credit'`, [doctor.doctorId]);
    expect(credit).toEqual({ amount_minor: FEE });
    expect(await count(app, `select count(*) as n from payment_transaction where appointment_id = ? and amount_minor = ?`, [held.id, FEE + TRANSACTION_FEE])).toBe(1);
    expect(await (await fetch(held.checkoutUrl!)).text()).toContain("This checkout is closed");
    // Pressing Pay again is a new event for a settled payment: nothing more.
    expect(await (await post(`${held.checkoutUrl!}/pay`)).text()).toContain('data-outcome="already_paid"');
    expect(await count(app, `select count(*) as n from wallet_entry where doctor_id = ?`, [doctor.doctorId])).toBe(1);
  });

  it("Decline cancels the hold and frees the slot; events signed with another secret are refused", async () => {
    const { slots, patient } = await buildClinicWithPaidDoctor(app);
    const held = await paidHold(app, patient, slots[0]!.id);
    const sessionId = held.checkoutUrl!.split("/").pop()!;
    const forged = signedEvent("checkout.session.completed", paidSession({ id: sessionId, object: "checkout.session", metadata: { appointmentId: held.id }, amount_total: 1, currency: "gbp" }));
    expect((await deliver(app.url, forged)).status).toBe(400);
    expect(await (await post(`${held.checkoutUrl!}/decline`)).text()).toContain('data-outcome="cancelled"');
    expect(await appointmentRow(app, held.id)).toMatchObject({ status: "cancelled", payment_status: "failed" });
    expect(await statusOf(app, "slot", slots[0]!.id)).toBe("available");
    expect((await fetch(`${app.url}/api/v1/payments/simulated/cs_sim_unknown`)).status).toBe(404);
  });
});
