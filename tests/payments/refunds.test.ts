/** Refunds by the clinic's policy after a cancel, and staff refunds, through the real SDK and the stand-in. */
import { describe, expect, it } from "vitest";
import { deliver, signedEvent } from "../support/stripe-standin";
import { buildClinicWithPaidDoctor, FEE, paidVisit, TRANSACTION_FEE } from "../support/paid-visits";
import { call } from "../support/api";
import { count, query } from "../support/db";
import { appointmentRow, usePaymentApps } from "./support";

const CHARGE = FEE + TRANSACTION_FEE;

describe("refunds", () => {
  const payments = usePaymentApps();

  /** A cancel's (policy or staff) refund calls of one visit: key `refund-{visit}-cancel-{PaymentIntent}`. */
  const refundCalls = (appointmentId: string) => payments.stripe.calls("/v1/refunds").filter((r) => r.idempotencyKey?.startsWith(`refund-${appointmentId}-cancel-`));

  const paidBooking = (settings: Record<string, unknown> = {}) => paidVisit(payments, settings);
  const rows = async (appointmentId: string) => ({
    refunds: await query<{ amount_minor: number; provider_ref: string }>(payments.api, `select amount_minor, provider_ref from payment_transaction where appointment_id = ? and kind = 'refund'`, [appointmentId]),
    debits: await query<{ amount_minor: number }>(payments.api, `select amount_minor from wallet_entry where appointment_id = ? and kind = 'debit'`, [appointmentId]),
  });

  it("a timely patient cancel refunds the whole charge once, with the doctor's credit reversed", async () => {
    const { patient, appointmentId, paymentIntent } = await paidBooking();
    expect((await call(payments.api, patient, "POST", `/appointments/${appointmentId}/cancel`, { reason: "cannot come" })).status).toBe(200);
    const calls = refundCalls(appointmentId);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.form).toMatchObject({ payment_intent: paymentIntent, amount: String(CHARGE) });
    const { refunds, debits } = await rows(appointmentId);
    expect(refunds).toEqual([{ amount_minor: CHARGE, provider_ref: expect.stringMatching(/^re_/) }]);
    expect(debits).toEqual([{ amount_minor: FEE }]);
    expect(await appointmentRow(payments.api, appointmentId)).toMatchObject({ status: "cancelled", payment_status: "refunded" });
    // Cancelling again is refused; Stripe's charge.refunded for the same refund records nothing more.
    expect((await call(payments.api, patient, "POST", `/appointments/${appointmentId}/cancel`, { reason: "again" })).status).toBeGreaterThanOrEqual(400);
    const charge = { id: "ch_1", object: "charge", payment_intent: paymentIntent, amount_refunded: CHARGE, refunds: { data: [{ id: refunds[0]!.provider_ref }] } };
    expect((await deliver(payments.api.url, signedEvent("charge.refunded", charge))).body).toMatchObject({ outcome: "refund_recorded" });
    expect(refundCalls(appointmentId)).toHaveLength(1);
    expect(await rows(appointmentId)).toEqual({ refunds, debits });
    expect(await appointmentRow(payments.api, appointmentId)).toMatchObject({ payment_status: "refunded" });
  });

  it("a late cancel refunds the clinic's partial percent (50 %), the debit in proportion", async () => {
    const { reception, appointmentId } = await paidBooking({ fullRefundHours: 720, lateCancelRefundPercent: 50 });
    expect((await call(payments.api, reception, "POST", `/appointments/${appointmentId}/cancel`, { reason: "clinic closed" })).status).toBe(200);
    expect(refundCalls(appointmentId).map((c) => c.form.amount)).toEqual([String(Math.floor(CHARGE / 2))]);
    const { refunds, debits } = await rows(appointmentId);
    expect(refunds.map((r) => r.amount_minor)).toEqual([Math.floor(CHARGE / 2)]);
    expect(debits).toEqual([{ amount_minor: Math.round((FEE * Math.floor(CHARGE / 2)) / CHARGE) }]);
    expect(await appointmentRow(payments.api, appointmentId)).toMatchObject({ payment_status: "partially_refunded" });
  });

  it("a cancellation by the doctor's leave refunds the whole charge whatever the late policy says", async () => {
    const { doctor, clinicId, slots, appointmentId } = await paidBooking({ fullRefundHours: 720, lateCancelRefundPercent: 0 });
    const leave = await call(payments.api, doctor, "POST", `/doctors/${doctor.doctorId}/unavailability`, {
      clinicId,
      kind: "emergency_leave",
      startsAt: new Date(slots[0]!.startsAt).toISOString(),
      endsAt: new Date(slots[0]!.endsAt).toISOString(),
      reason: "Flu",
      autoCancel: true,
    });
    expect(leave.status, JSON.stringify(leave.body)).toBe(201);
    expect(await appointmentRow(payments.api, appointmentId)).toMatchObject({ status: "cancelled", payment_status: "refunded" });
    expect(refundCalls(appointmentId).map((c) => c.form.amount)).toEqual([String(CHARGE)]);
  });

  it("a late cancel at 0 % makes no refund call; a no-show gets no refund", async () => {
    const late = await paidBooking({ fullRefundHours: 720, lateCancelRefundPercent: 0 });
    expect((await call(payments.api, late.reception, "POST", `/appointments/${late.appointmentId}/cancel`, { reason: "late" })).status).toBe(200);
    expect(refundCalls(late.appointmentId)).toHaveLength(0);
    expect(await appointmentRow(payments.api, late.appointmentId)).toMatchObject({ status: "cancelled", payment_status: "paid" });

    const missed = await paidBooking({ lateCancelRefundPercent: 100 });
    await query(payments.api, `update appointment set status = 'no_show' where id = ?`, [missed.appointmentId]);
    await call(payments.api, missed.reception, "POST", `/appointments/${missed.appointmentId}/cancel`, { reason: "no-show" });
    expect(refundCalls(missed.appointmentId)).toHaveLength(0);
    expect(await appointmentRow(payments.api, missed.appointmentId)).toMatchObject({ status: "no_show", payment_status: "paid" });
  });

  it("staff override with a reason is refunded once and audited; others cannot", async () => {
    const { reception, patient, appointmentId } = await paidBooking();
    const other = await buildClinicWithPaidDoctor(payments.api);
    expect((await call(payments.api, other.reception, "POST", `/payments/appointments/${appointmentId}/refund`, { reason: "goodwill" })).status).toBe(404);
    expect((await call(payments.api, patient, "POST", `/payments/appointments/${appointmentId}/refund`, { reason: "goodwill" })).status).toBe(404);
    const noReason = await call(payments.api, reception, "POST", `/payments/appointments/${appointmentId}/refund`, { amountMinor: 1000 });
    expect(noReason.status).toBe(400);
    expect(JSON.stringify(noReason.body)).toContain("reason");
    const tooMuch = await call(payments.api, reception, "POST", `/payments/appointments/${appointmentId}/refund`, { amountMinor: CHARGE + 1, reason: "x".repeat(5) });
    expect(tooMuch.status).toBe(400);
    expect(JSON.stringify(tooMuch.body)).toContain("amountMinor");

    const first = await call(payments.api, reception, "POST", `/payments/appointments/${appointmentId}/refund`, { amountMinor: 1000, reason: "doctor was late" });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ amountMinor: 1000, paymentStatus: "partially_refunded" });
    const again = await call(payments.api, reception, "POST", `/payments/appointments/${appointmentId}/refund`, { reason: "doctor was late" });
    expect(again.status).toBe(409);
    expect(refundCalls(appointmentId)).toHaveLength(1);
    const audits = await query<{ after: { reason: string; amountMinor: number } }>(payments.api, `select after from audit_event where action = 'payments.refund-staff' and entity_id = ?`, [appointmentId]);
    expect(audits.map((a) => a.after)).toEqual([expect.objectContaining({ reason: "doctor was late", amountMinor: 1000 })]);
    // A later cancel finds the payment refunded already: no second refund.
    expect((await call(payments.api, patient, "POST", `/appointments/${appointmentId}/cancel`, { reason: "x" })).status).toBe(200);
    expect(refundCalls(appointmentId)).toHaveLength(1);
    expect(await count(payments.api, `select count(*) as n from payment_transaction where appointment_id = ? and kind = 'refund'`, [appointmentId])).toBe(1);
  });

  it("a refund made at the provider (the dashboard) is recorded once, debited and told to the patient; staff refunds are told too", async () => {
    const { patient, reception, appointmentId, paymentIntent } = await paidBooking();
    const notices = () => query<{ channel: string; payload: { amount: string; reason: string } }>(payments.api, `select channel, payload from notification_outbox where user_id = ? and template = 'payments.refunded' order by created_at, channel`, [patient.user.id]);
    const dashboard = { id: "ch_dash", object: "charge", payment_intent: paymentIntent, amount_refunded: 1000, refunds: { data: [{ id: "re_dashboard_1" }] } };
    expect((await deliver(payments.api.url, signedEvent("charge.refunded", dashboard))).body).toMatchObject({ outcome: "refund_recorded" });
    // Stripe may send the same refund in another event: recorded once.
    await deliver(payments.api.url, signedEvent("charge.refunded", dashboard));
    expect((await rows(appointmentId)).refunds).toEqual([{ amount_minor: 1000, provider_ref: "re_dashboard_1" }]);
    expect(await appointmentRow(payments.api, appointmentId)).toMatchObject({ payment_status: "partially_refunded" });
    expect((await notices()).map((n) => [n.channel, n.payload.amount, n.payload.reason])).toEqual([
      ["email", "£10.00", "the payment provider refunded it"],
      ["in_app", "£10.00", "the payment provider refunded it"],
    ]);
    // A partially refunded visit gets no more staff refund (one per visit) …
    expect((await call(payments.api, reception, "POST", `/payments/appointments/${appointmentId}/refund`, { reason: "goodwill" })).status).toBe(409);
    // … and a fresh one is told: the amount and the reason.
    const other = await paidBooking();
    expect((await call(payments.api, other.reception, "POST", `/payments/appointments/${other.appointmentId}/refund`, { amountMinor: 500, reason: "doctor was late" })).status).toBe(200);
    const [told] = await query<{ payload: { amount: string; reason: string; arrivalBy: string } }>(payments.api, `select payload from notification_outbox where user_id = ? and template = 'payments.refunded' and channel = 'email'`, [other.patient.user.id]);
    expect(told!.payload).toMatchObject({ amount: "£5.00", reason: "the clinic refunded it", arrivalBy: expect.any(String) });
  });
});
