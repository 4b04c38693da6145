/**
 * The hold is the payment window: the worker's hold-expiry job expires the hold and the Checkout
 * Session at Stripe; a payment arriving after that books the slot if free, else is refunded.
 */
import { describe, expect, it } from "vitest";
import { waitFor } from "../support/harness";
import { buildPatient } from "../support/factories";
import { buildClinicWithPaidDoctor, FEE, paidHold, TRANSACTION_FEE } from "../support/paid-visits";
import { hold } from "../support/api";
import { count, query, statusOf } from "../support/db";
import { appointmentRow, usePaymentApps } from "./support";
import { deliver, paidSession, signedEvent } from "../support/stripe-standin";

describe("payment after the hold lapsed", () => {
  const payments = usePaymentApps({ worker: true });


  /** Lets the hold lapse now and runs its hold-expiry job on the worker. */
  async function lapse(appointmentId: string, slotId: string) {
    await query(payments.api, `update appointment set hold_expires_at = now() - interval '1 second' where id = ?`, [appointmentId]);
    await query(payments.api, `update slot set hold_expires_at = now() - interval '1 second' where id = ?`, [slotId]);
    const job = await payments.api.runtime.queues.get("booking").getJob(`hold-${appointmentId}`);
    await job!.promote();
    await waitFor(async () => (await appointmentRow(payments.api, appointmentId)).status === "expired");
  }

  it("the worker expires the Checkout Session with the hold; the payment that still arrives books the free slot", async () => {
    const { slots, patient, doctor } = await buildClinicWithPaidDoctor(payments.api);
    const held = await paidHold(payments.api, patient, slots[0]!.id);
    const session = payments.stripe.sessionOf(held.id);
    await lapse(held.id, slots[0]!.id);
    await waitFor(() => payments.stripe.calls(`/v1/checkout/sessions/${String(session.id)}/expire`).length === 1 || undefined);
    expect(session.status).toBe("expired");
    expect(await statusOf(payments.api, "slot", slots[0]!.id)).toBe("available");
    // Stripe's own minimum lifetime means a payment may already be under way: it still counts.
    const reply = await deliver(payments.api.url, signedEvent("checkout.session.completed", paidSession(session)));
    expect(reply.body).toMatchObject({ outcome: "rebooked" });
    const live = await query<{ id: string; status: string; payment_status: string }>(
      payments.api,
      `select id, status, payment_status from appointment where slot_id = ? and status not in ('cancelled', 'expired')`,
      [slots[0]!.id],
    );
    expect(live).toEqual([expect.objectContaining({ status: "scheduled", payment_status: "paid" })]);
    expect(await statusOf(payments.api, "slot", slots[0]!.id)).toBe("booked");
    expect(await count(payments.api, `select count(*) as n from wallet_entry where doctor_id = ? and kind = 'credit' and amount_minor = ?`, [doctor.doctorId, FEE])).toBe(1);
    expect(payments.stripe.calls("/v1/refunds")).toHaveLength(0);
  });

  it("taken by someone else meanwhile: refunded through the refunds API, the patient told, never a double booking", async () => {
    const { slots, patient } = await buildClinicWithPaidDoctor(payments.api);
    const held = await paidHold(payments.api, patient, slots[0]!.id);
    const session = payments.stripe.sessionOf(held.id);
    await lapse(held.id, slots[0]!.id);
    const other = await buildPatient(payments.api, { tier: "standard" });
    const taken = await hold(payments.api, other, { slotId: slots[0]!.id });
    expect(taken.status).toBe(201);
    expect((await payments.api.runtime.queues.get("booking").getJob(`hold-${String(taken.body.id)}`))?.name).toBe("hold-expiry");
    const paid = paidSession(session, "pi_test_late_taken");
    const event = signedEvent("checkout.session.completed", paid);
    // Stripe's refunds API down: the webhook fails and keeps nothing, so Stripe's redelivery redoes it.
    payments.stripe.down = true;
    try {
      expect((await deliver(payments.api.url, event)).status).toBe(500);
    } finally {
      payments.stripe.down = false;
    }
    expect(await count(payments.api, `select count(*) as n from payment_event where id = ?`, [event.id])).toBe(0);
    expect(await count(payments.api, `select count(*) as n from payment_transaction where appointment_id = ?`, [held.id])).toBe(0);
    expect(await appointmentRow(payments.api, held.id)).toMatchObject({ status: "expired", payment_status: "unpaid" });
    expect((await deliver(payments.api.url, event)).body).toMatchObject({ outcome: "refunded" });
    const refunds = payments.stripe.calls("/v1/refunds").filter((r) => r.idempotencyKey);
    // Every try (the failed ones included) used the same key, so Stripe makes one refund.
    expect(new Set(refunds.map((r) => r.idempotencyKey))).toEqual(new Set([`refund-${held.id}-slot_taken-pi_test_late_taken`]));
    expect(refunds.at(-1)).toEqual(
      expect.objectContaining({ idempotencyKey: `refund-${held.id}-slot_taken-pi_test_late_taken`, form: expect.objectContaining({ payment_intent: "pi_test_late_taken", "metadata[appointmentId]": held.id }) }),
    );
    expect(await appointmentRow(payments.api, held.id)).toMatchObject({ status: "expired", payment_status: "refunded" });
    expect(await count(payments.api, `select count(*) as n from appointment where slot_id = ? and status not in ('cancelled', 'expired')`, [slots[0]!.id])).toBe(1);
    expect(await count(payments.api, `select count(*) as n from wallet_entry where appointment_id = ?`, [held.id])).toBe(0);
    const [refund] = await query<{ amount_minor: number }>(payments.api, `select amount_minor from payment_transaction where appointment_id = ? and kind = 'refund'`, [held.id]);
    expect(refund).toEqual({ amount_minor: FEE + TRANSACTION_FEE });
    expect(await count(payments.api, `select count(*) as n from notification_outbox where user_id = ? and template = 'payments.refunded-slot-taken'`, [patient.user.id])).toBeGreaterThan(0);
    // Stripe's charge.refunded for our own refund is recorded once, nothing reversed twice.
    const refunded = signedEvent("charge.refunded", { id: "ch_test_1", object: "charge", payment_intent: "pi_test_late_taken", amount_refunded: FEE + TRANSACTION_FEE, refunds: { data: [] } });
    expect((await deliver(payments.api.url, refunded)).body).toMatchObject({ outcome: "refund_recorded" });
    expect(await count(payments.api, `select count(*) as n from payment_transaction where appointment_id = ? and kind = 'refund'`, [held.id])).toBe(1);
    // The replayed payment event refunds nothing more.
    const tries = payments.stripe.calls("/v1/refunds").length;
    expect((await deliver(payments.api.url, event)).body).toMatchObject({ outcome: "duplicate" });
    expect(payments.stripe.calls("/v1/refunds")).toHaveLength(tries);
  });
});
