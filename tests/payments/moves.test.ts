/**
 * A paid visit that is rescheduled keeps its payment (docs/payments.md "Money follows the visit"):
 * no refund and no second charge on the move, a cheaper time refunded the difference, a dearer one
 * charged the difference before it moves, a later cancel refunded by policy exactly once.
 */
import { describe, expect, it } from "vitest";
import { deliver, paidSession, signedEvent } from "../support/stripe-standin";
import { FEE, paidVisit, TRANSACTION_FEE } from "../support/paid-visits";
import { call } from "../support/api";
import { count, query, statusOf } from "../support/db";
import { appointmentRow, usePaymentApps } from "./support";

const CHARGE = FEE + TRANSACTION_FEE;
const priceWithFee = (fee: number) => fee + Math.round(fee * 0.02);

describe("moving a paid visit", () => {
  const payments = usePaymentApps();

  /** A paid visit in the first of two free slots (settings: the clinic's refund policy). */
  const paidVisitOfTwo = async (settings: Record<string, unknown> = {}) => {
    const visit = await paidVisit(payments, settings, 2);
    return { ...visit, visitId: visit.appointmentId };
  };

  /** A service of the clinic at `priceMinor`, on the given slot (a visit without a service takes the slot's). */
  async function priceSlot(clinicId: string, slotId: string, priceMinor: number) {
    const [service] = await query<{ id: string }>(
      payments.api,
      `insert into clinic_service (id, clinic_id, name, duration_minutes, colour, price_minor, currency, payment_required, active, created_at, updated_at)
       values (gen_random_uuid(), ?, ?, 15, '#336699', ?, 'GBP', true, true, now(), now()) returning id`,
      [clinicId, `Service ${priceMinor}`, priceMinor],
    );
    await query(payments.api, `update slot set service_id = ? where id = ?`, [service!.id, slotId]);
  }

  const refundCalls = (appointmentId: string) => payments.stripe.calls("/v1/refunds").filter((r) => r.form["metadata[appointmentId]"] === appointmentId);
  const money = (ids: string[]) =>
    query<{ appointment_id: string; kind: string; cause: string; amount_minor: number; provider_ref: string | null }>(
      payments.api,
      `select appointment_id, kind, cause, amount_minor, provider_ref from payment_transaction where appointment_id = any(?::uuid[]) order by created_at, kind`,
      [`{${ids.join(",")}}`],
    );
  const wallet = (doctorId: string) =>
    query<{ id: string; kind: string; amount_minor: number; appointment_id: string }>(payments.api, `select id, kind, amount_minor, appointment_id from wallet_entry where doctor_id = ? order by created_at, id`, [doctorId]);
  const reschedule = (person: Parameters<typeof call>[1], id: string, slotId: string) => call(payments.api, person, "POST", `/appointments/${id}/reschedule`, { slotId });
  const refundNotices = (userId: string) =>
    query<{ channel: string; payload: { amount: string; arrivalBy: string; reason: string } }>(
      payments.api,
      `select channel, payload from notification_outbox where user_id = ? and template = 'payments.refunded' order by channel`,
      [userId],
    );

  it("moves with its payment (no refund, no second charge, the one charge and the doctor's credit follow); a timely cancel then refunds it once in full", async () => {
    const { patient, doctor, slots, visitId, paymentIntent } = await paidVisitOfTwo();
    const [credit] = await wallet(doctor.doctorId);
    const sessions = payments.stripe.calls("/v1/checkout/sessions").length;

    const moved = await reschedule(patient, visitId, slots[1]!.id);
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);
    const newId = moved.body.appointment.id as string;
    expect(moved.body).toMatchObject({
      next: null,
      checkoutUrl: null,
      previous: { id: visitId, status: "cancelled", statusReason: "rescheduled", paymentStatus: "moved" },
      appointment: { status: "scheduled", paymentStatus: "paid", rescheduledFrom: visitId, amountDueMinor: 0, feeMinor: FEE, transactionFeeMinor: TRANSACTION_FEE },
    });
    expect(refundCalls(visitId)).toHaveLength(0);
    expect(payments.stripe.calls("/v1/checkout/sessions")).toHaveLength(sessions);
    expect(await money([visitId, newId])).toEqual([{ appointment_id: newId, kind: "charge", cause: "booking", amount_minor: CHARGE, provider_ref: paymentIntent }]);
    // The same credit entry, re-pointed: nothing reversed and credited again.
    expect(await wallet(doctor.doctorId)).toEqual([{ ...credit!, appointment_id: newId }]);
    expect([await statusOf(payments.api, "slot", slots[0]!.id), await statusOf(payments.api, "slot", slots[1]!.id)]).toEqual(["available", "booked"]);

    expect((await call(payments.api, patient, "POST", `/appointments/${newId}/cancel`, { reason: "cannot come" })).status).toBe(200);
    const calls = refundCalls(newId);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.form).toMatchObject({ payment_intent: paymentIntent, amount: String(CHARGE) });
    expect(calls[0]!.idempotencyKey).toBe(`refund-${newId}-cancel-${paymentIntent}`);
    expect((await money([visitId, newId])).filter((t) => t.kind === "refund")).toEqual([
      { appointment_id: newId, kind: "refund", cause: "policy", amount_minor: CHARGE, provider_ref: expect.stringMatching(/^re_/) },
    ]);
    expect(await appointmentRow(payments.api, newId)).toMatchObject({ status: "cancelled", payment_status: "refunded" });
    expect((await wallet(doctor.doctorId)).map((e) => [e.kind, e.amount_minor])).toEqual([["credit", FEE], ["debit", FEE]]);
    // The patient is told in the app and by email: the amount, why, and by when it arrives.
    const notices = await refundNotices(patient.user.id);
    expect(notices.map((n) => n.channel)).toEqual(["email", "in_app"]);
    expect(notices[0]!.payload).toMatchObject({ amount: "£51.51", reason: "the appointment was cancelled", arrivalBy: expect.stringMatching(/\d/) });
    // Cancelling again changes nothing; neither does a replay of the cancel's after-commit work.
    expect((await call(payments.api, patient, "POST", `/appointments/${newId}/cancel`, { reason: "again" })).status).toBe(409);
    expect(refundCalls(newId)).toHaveLength(1);
  });

  it("a late cancel of the moved visit refunds the clinic's percent once", async () => {
    const { patient, reception, slots, visitId } = await paidVisitOfTwo({ fullRefundHours: 720, lateCancelRefundPercent: 50 });
    const moved = await reschedule(patient, visitId, slots[1]!.id);
    expect(moved.status).toBe(200);
    const newId = moved.body.appointment.id as string;
    expect((await call(payments.api, reception, "POST", `/appointments/${newId}/cancel`, { reason: "clinic closed early" })).status).toBe(200);
    expect(refundCalls(newId).map((c) => c.form.amount)).toEqual([String(Math.floor(CHARGE / 2))]);
    expect(refundCalls(visitId)).toHaveLength(0);
    expect(await appointmentRow(payments.api, newId)).toMatchObject({ payment_status: "partially_refunded" });
  });

  it("a cheaper time refunds the difference at once; the cancel later refunds what is left, and the doctor's share ends at zero", async () => {
    const { patient, doctor, clinicId, slots, visitId, paymentIntent } = await paidVisitOfTwo();
    await priceSlot(clinicId, slots[1]!.id, 3000);
    const moved = await reschedule(patient, visitId, slots[1]!.id);
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);
    const newId = moved.body.appointment.id as string;
    const difference = CHARGE - priceWithFee(3000);
    expect(moved.body.appointment).toMatchObject({ status: "scheduled", paymentStatus: "paid", feeMinor: 3000 });
    expect(refundCalls(newId).map((c) => [c.idempotencyKey, c.form.amount])).toEqual([[`refund-${newId}-reschedule-${paymentIntent}`, String(difference)]]);
    expect((await refundNotices(patient.user.id))[0]!.payload).toMatchObject({ amount: `£${(difference / 100).toFixed(2)}`, reason: "the new time costs less" });

    expect((await call(payments.api, patient, "POST", `/appointments/${newId}/cancel`, { reason: "no longer needed" })).status).toBe(200);
    expect(refundCalls(newId).map((c) => Number(c.form.amount))).toEqual([difference, priceWithFee(3000)]);
    const refunds = (await money([newId])).filter((t) => t.kind === "refund");
    expect(refunds.reduce((sum, r) => sum + r.amount_minor, 0)).toBe(CHARGE);
    expect(await appointmentRow(payments.api, newId)).toMatchObject({ payment_status: "refunded" });
    const entries = await wallet(doctor.doctorId);
    expect(entries.reduce((sum, e) => sum + (e.kind === "credit" ? e.amount_minor : -e.amount_minor), 0)).toBe(0);
  });

  it("a dearer time is a hold that owes the difference; paying it completes the move, and a cancel refunds both payments", async () => {
    const { patient, doctor, clinicId, slots, visitId, paymentIntent } = await paidVisitOfTwo();
    await priceSlot(clinicId, slots[1]!.id, 7000);
    const difference = priceWithFee(7000) - CHARGE;
    const started = await reschedule(patient, visitId, slots[1]!.id);
    expect(started.status, JSON.stringify(started.body)).toBe(200);
    const holdId = started.body.appointment.id as string;
    expect(started.body).toMatchObject({
      next: "pay",
      previous: { id: visitId, status: "scheduled", paymentStatus: "paid" },
      appointment: { status: "pending", paymentStatus: "unpaid", amountDueMinor: difference, pendingMoveFrom: visitId, rescheduledFrom: null },
    });
    const session = payments.stripe.sessionOf(holdId);
    expect(started.body.checkoutUrl).toBe(session.url);
    expect(session.amount_total).toBe(difference);
    expect([await statusOf(payments.api, "slot", slots[0]!.id), await statusOf(payments.api, "slot", slots[1]!.id)]).toEqual(["booked", "held"]);

    const paid = await deliver(payments.api.url, signedEvent("checkout.session.completed", paidSession(session, "pi_test_difference")));
    expect(paid.body).toMatchObject({ outcome: "moved" });
    expect(await appointmentRow(payments.api, visitId)).toMatchObject({ status: "cancelled", status_reason: "rescheduled", payment_status: "moved" });
    expect(await appointmentRow(payments.api, holdId)).toMatchObject({ status: "scheduled", payment_status: "paid" });
    expect([await statusOf(payments.api, "slot", slots[0]!.id), await statusOf(payments.api, "slot", slots[1]!.id)]).toEqual(["available", "booked"]);
    expect((await money([visitId, holdId])).map((t) => [t.appointment_id, t.cause, t.amount_minor])).toEqual([
      [holdId, "booking", CHARGE],
      [holdId, "top_up", difference],
    ]);
    expect((await wallet(doctor.doctorId)).map((e) => [e.kind, e.amount_minor, e.appointment_id])).toEqual([
      ["credit", FEE, holdId],
      ["credit", 7000 - FEE, holdId],
    ]);

    expect((await call(payments.api, patient, "POST", `/appointments/${holdId}/cancel`, { reason: "plans changed" })).status).toBe(200);
    // Newest charge first: the difference, then the original payment; all of it back.
    expect(refundCalls(holdId).map((c) => [c.form.payment_intent, Number(c.form.amount)])).toEqual([
      ["pi_test_difference", difference],
      [paymentIntent, CHARGE],
    ]);
    expect(await appointmentRow(payments.api, holdId)).toMatchObject({ payment_status: "refunded" });
    expect((await refundNotices(patient.user.id)).map((n) => n.payload.amount)).toEqual([`£${(priceWithFee(7000) / 100).toFixed(2)}`, `£${(priceWithFee(7000) / 100).toFixed(2)}`]);
  });

  it("a dearer move whose visit is cancelled before paying: the hold ends with it, and a difference paid late is returned", async () => {
    const { patient, clinicId, slots, visitId } = await paidVisitOfTwo();
    await priceSlot(clinicId, slots[1]!.id, 7000);
    const started = await reschedule(patient, visitId, slots[1]!.id);
    const holdId = started.body.appointment.id as string;
    const session = payments.stripe.sessionOf(holdId);
    expect((await call(payments.api, patient, "POST", `/appointments/${visitId}/cancel`, { reason: "not coming after all" })).status).toBe(200);
    expect(await appointmentRow(payments.api, holdId)).toMatchObject({ status: "cancelled" });
    expect(await statusOf(payments.api, "slot", slots[1]!.id)).toBe("available");
    expect(session.status).toBe("expired");
    expect(refundCalls(visitId).map((c) => Number(c.form.amount))).toEqual([CHARGE]);

    const late = await deliver(payments.api.url, signedEvent("checkout.session.completed", paidSession(session, "pi_test_late_difference")));
    expect(late.body).toMatchObject({ outcome: "refunded" });
    expect(refundCalls(holdId).map((c) => [c.idempotencyKey, Number(c.form.amount)])).toEqual([[`refund-${holdId}-move_lapsed-pi_test_late_difference`, priceWithFee(7000) - CHARGE]]);
    expect(await count(payments.api, `select count(*) n from appointment where patient_id = ? and status in ('pending', 'scheduled')`, [patient.patientId])).toBe(0);
  });

  it("rescheduling and cancelling the same paid visit at once: one wins, and the money matches the winner (20 rounds)", async () => {
    const outcomes = { reschedule: 0, cancel: 0 };
    for (let round = 0; round < 20; round++) {
      const { patient, doctor, slots, visitId } = await paidVisitOfTwo();
      const [moved, cancelled] = await Promise.all([
        reschedule(patient, visitId, slots[1]!.id),
        call(payments.api, patient, "POST", `/appointments/${visitId}/cancel`, { reason: "changed my mind" }),
      ]);
      expect([moved.status, cancelled.status].sort(), JSON.stringify([moved.body, cancelled.body])).toEqual([200, 409]);
      const live = await query<{ id: string; payment_status: string }>(
        payments.api,
        `select id, payment_status from appointment where patient_id = ? and status = 'scheduled'`,
        [patient.patientId],
      );
      const [net] = await query<{ charged: number; refunded: number }>(
        payments.api,
        `select coalesce(sum(amount_minor) filter (where kind = 'charge'), 0)::int as charged, coalesce(sum(amount_minor) filter (where kind = 'refund'), 0)::int as refunded
           from payment_transaction t join appointment a on a.id = t.appointment_id where a.patient_id = ?`,
        [patient.patientId],
      );
      const balance = (await wallet(doctor.doctorId)).reduce((sum, e) => sum + (e.kind === "credit" ? e.amount_minor : -e.amount_minor), 0);
      if (moved.status === 200) {
        outcomes.reschedule++;
        expect(live).toEqual([{ id: moved.body.appointment.id, payment_status: "paid" }]);
        expect(net).toEqual({ charged: CHARGE, refunded: 0 });
        expect(balance).toBe(FEE);
      } else {
        outcomes.cancel++;
        expect(live).toEqual([]);
        expect(net).toEqual({ charged: CHARGE, refunded: CHARGE });
        expect(refundCalls(visitId)).toHaveLength(1);
        expect(balance).toBe(0);
      }
      expect(await statusOf(payments.api, "slot", slots[0]!.id)).toBe("available");
      expect(await statusOf(payments.api, "slot", slots[1]!.id)).toBe(moved.status === 200 ? "booked" : "available");
    }
    expect(outcomes.reschedule + outcomes.cancel).toBe(20);
  });
});
