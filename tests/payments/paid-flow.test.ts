/** The paid booking flow against the real stripe SDK and the stand-in, with signed webhooks. */
import { describe, expect, it } from "vitest";
import { buildPerson } from "../support/factories";
import { buildClinicWithPaidDoctor, FEE, paidHold, TRANSACTION_FEE } from "../support/paid-visits";
import { call } from "../support/api";
import { count, query, statusOf } from "../support/db";
import { appointmentRow, usePaymentApps } from "./support";
import { deliver, paidSession, signedEvent } from "../support/stripe-standin";

describe("paid booking flow", () => {
  const payments = usePaymentApps();


  it("a paid hold creates the customer once and a Checkout Session for fee + transaction fee, keyed by the appointment", async () => {
    const { slots, patient } = await buildClinicWithPaidDoctor(payments.api, 2);
    const held = await paidHold(payments.api, patient, slots[0]!.id);
    expect(held).toMatchObject({ next: "pay", status: "pending", feeMinor: FEE, transactionFeeMinor: TRANSACTION_FEE });
    const created = payments.stripe.calls("/v1/checkout/sessions").filter((r) => r.idempotencyKey === `checkout-${held.id}`);
    expect(created).toHaveLength(1);
    expect(created[0]!.form).toMatchObject({
      mode: "payment",
      "metadata[appointmentId]": held.id,
      "payment_intent_data[metadata][appointmentId]": held.id,
      "line_items[0][price_data][unit_amount]": String(FEE),
      "line_items[0][price_data][currency]": "gbp",
      "line_items[1][price_data][unit_amount]": String(TRANSACTION_FEE),
    });
    expect(held.checkoutUrl).toBe(payments.stripe.sessionOf(held.id).url);
    const [stored] = await query<{ session_id: string; amount_minor: number }>(payments.api, `select session_id, amount_minor from checkout_session where appointment_id = ?`, [held.id]);
    expect(stored).toEqual({ session_id: payments.stripe.sessionOf(held.id).id, amount_minor: FEE + TRANSACTION_FEE });
    // The second booking reuses the customer.
    const second = await paidHold(payments.api, patient, slots[1]!.id);
    expect(second.checkoutUrl).toBe(payments.stripe.sessionOf(second.id).url);
    const customerCalls = payments.stripe.calls("/v1/customers").filter((r) => r.idempotencyKey === `customer-${patient.patientId}`);
    expect(customerCalls).toHaveLength(1);
    expect(payments.stripe.sessionOf(second.id).customer).toBe(payments.stripe.sessionOf(held.id).customer);
  });

  it("a signed completed event books and credits the doctor once, however often it arrives", async () => {
    const { slots, patient, doctor, clinicId } = await buildClinicWithPaidDoctor(payments.api);
    const admin = await buildPerson(payments.api, "clinic_admin", { clinicIds: [clinicId] });
    const held = await paidHold(payments.api, patient, slots[0]!.id);
    const event = signedEvent("checkout.session.completed", paidSession(payments.stripe.sessionOf(held.id)));
    expect((await deliver(payments.api.url, event)).body).toMatchObject({ outcome: "booked" });
    expect(await appointmentRow(payments.api, held.id)).toMatchObject({ status: "scheduled", payment_status: "paid" });
    expect(await statusOf(payments.api, "slot", slots[0]!.id)).toBe("booked");
    // The same event again, and another event of the same payment: nothing more.
    expect((await deliver(payments.api.url, event)).body).toMatchObject({ outcome: "duplicate" });
    const also = signedEvent("checkout.session.async_payment_succeeded", paidSession(payments.stripe.sessionOf(held.id)));
    expect((await deliver(payments.api.url, also)).body).toMatchObject({ outcome: "already_paid" });
    const wallet = await query<{ kind: string; amount_minor: number; currency: string }>(payments.api, `select kind, amount_minor, currency from wallet_entry where doctor_id = ?`, [doctor.doctorId]);
    expect(wallet).toEqual([{ kind: "credit", amount_minor: FEE, currency: "GBP" }]);
    expect(await count(payments.api, `select count(*) as n from payment_transaction where appointment_id = ? and kind = 'charge'`, [held.id])).toBe(1);
    // The doctor and the clinic's admin are told once each (in-app at least), however often the event came.
    for (const person of [doctor, admin]) {
      expect(await count(payments.api, `select count(*) as n from notification_outbox where user_id = ? and template = 'payments.booking-paid' and channel = 'in_app'`, [person.user.id])).toBe(1);
    }
    // Expired after completed (out of order) changes nothing.
    const late = signedEvent("checkout.session.expired", { ...payments.stripe.sessionOf(held.id), status: "expired" });
    expect((await deliver(payments.api.url, late)).body).toMatchObject({ outcome: "ignored" });
    expect(await appointmentRow(payments.api, held.id)).toMatchObject({ status: "scheduled", payment_status: "paid" });
  });

  it("a failed or expired checkout cancels the hold with payment failed and frees the slot", async () => {
    const { slots, patient } = await buildClinicWithPaidDoctor(payments.api, 2);
    const failed = await paidHold(payments.api, patient, slots[0]!.id);
    const expired = await paidHold(payments.api, patient, slots[1]!.id);
    expect((await deliver(payments.api.url, signedEvent("checkout.session.async_payment_failed", payments.stripe.sessionOf(failed.id)))).body).toMatchObject({ outcome: "cancelled" });
    expect((await deliver(payments.api.url, signedEvent("checkout.session.expired", payments.stripe.sessionOf(expired.id)))).body).toMatchObject({ outcome: "cancelled" });
    for (const [held, slot] of [[failed, slots[0]!], [expired, slots[1]!]] as const) {
      expect(await appointmentRow(payments.api, held.id)).toMatchObject({ status: "cancelled", payment_status: "failed", status_reason: "payment failed" });
      expect(await statusOf(payments.api, "slot", slot.id)).toBe("available");
    }
    expect(await count(payments.api, `select count(*) as n from notification_outbox where user_id = ? and template = 'payments.payment-failed'`, [patient.user.id])).toBeGreaterThan(0);
  });

  it("completed after expired (out of order) books the slot again while it is free", async () => {
    const { slots, patient, doctor } = await buildClinicWithPaidDoctor(payments.api);
    const held = await paidHold(payments.api, patient, slots[0]!.id);
    await deliver(payments.api.url, signedEvent("checkout.session.expired", payments.stripe.sessionOf(held.id)));
    expect(await statusOf(payments.api, "slot", slots[0]!.id)).toBe("available");
    expect((await deliver(payments.api.url, signedEvent("checkout.session.completed", paidSession(payments.stripe.sessionOf(held.id))))).body).toMatchObject({ outcome: "rebooked" });
    const [rebooked] = await query<{ id: string; status: string; payment_status: string }>(payments.api, `select id, status, payment_status from appointment where rescheduled_from = ?`, [held.id]);
    expect(rebooked).toMatchObject({ status: "scheduled", payment_status: "paid" });
    expect(await statusOf(payments.api, "slot", slots[0]!.id)).toBe("booked");
    expect(await count(payments.api, `select count(*) as n from wallet_entry where doctor_id = ? and kind = 'credit'`, [doctor.doctorId])).toBe(1);
  });

  it("a bad or stale signature is refused with 400 and writes nothing", async () => {
    const { slots, patient } = await buildClinicWithPaidDoctor(payments.api);
    const held = await paidHold(payments.api, patient, slots[0]!.id);
    const wrongSecret = signedEvent("checkout.session.completed", paidSession(payments.stripe.sessionOf(held.id)), { secret: "whsec_someone_else" });
    const stale = signedEvent("checkout.session.completed", paidSession(payments.stripe.sessionOf(held.id)), { timestamp: Math.floor(Date.now() / 1000) - 3600 });
    const good = signedEvent("checkout.session.completed", paidSession(payments.stripe.sessionOf(held.id)));
    const tampered = { payload: good.payload.replace(`"payment_status":"paid"`, `"payment_status":"paid" `), signature: good.signature };
    for (const delivery of [wrongSecret, stale, tampered, { payload: good.payload, signature: "" }]) {
      const reply = await deliver(payments.api.url, delivery);
      expect(reply.status).toBe(400);
      expect(reply.body).toMatchObject({ code: "BAD_SIGNATURE" });
    }
    expect(await count(payments.api, `select count(*) as n from payment_event where id = any(?::text[])`, [`{${[wrongSecret.id, stale.id, good.id].join(",")}}`])).toBe(0);
    expect(await appointmentRow(payments.api, held.id)).toMatchObject({ status: "pending", payment_status: "unpaid" });
  });

  it("Stripe down: the hold stays with checkoutUrl null, and the checkout retry works once it is back", async () => {
    const { slots, patient } = await buildClinicWithPaidDoctor(payments.api);
    payments.stripe.down = true;
    let held;
    try {
      held = await paidHold(payments.api, patient, slots[0]!.id);
      expect(held.checkoutUrl).toBeNull();
      expect((await call(payments.api, patient, "POST", `/payments/appointments/${held.id}/checkout`)).status).toBe(503);
    } finally {
      payments.stripe.down = false;
    }
    expect(await appointmentRow(payments.api, held.id)).toMatchObject({ status: "pending", payment_status: "unpaid" });
    expect(await count(payments.api, `select count(*) as n from checkout_session where appointment_id = ?`, [held.id])).toBe(0);
    const retried = await call(payments.api, patient, "POST", `/payments/appointments/${held.id}/checkout`);
    expect(retried.status).toBe(200);
    expect(retried.body.checkoutUrl).toBe(payments.stripe.sessionOf(held.id).url);
    const other = await buildClinicWithPaidDoctor(payments.api);
    expect((await call(payments.api, other.patient, "POST", `/payments/appointments/${held.id}/checkout`)).status).toBe(404);
  });
});
