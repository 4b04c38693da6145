/**
 * The hold is the payment window: the worker's hold-expiry job expires the hold and the Checkout
 * Session at Stripe; a payment arriving after that books the slot if free, else is refunded.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor, type TestApp } from "../support/harness";
import { deliver, paidSession, signedEvent, type StripeStandin } from "../support/stripe-standin";
import { count, hold, patientOn, query } from "../booking/support";
import { FEE, TRANSACTION_FEE, appointmentRow, paidHold, paidSetup, slotStatus, startPaymentApps } from "./support";

describe("payment after the hold lapsed", () => {
  let api: TestApp;
  let stripe: StripeStandin;
  let close: () => Promise<void>;
  beforeAll(async () => {
    const started = await startPaymentApps({ worker: true });
    ({ api, stripe, close } = started);
  });
  afterAll(async () => close?.());

  const sessionOf = (appointmentId: string) => [...stripe.sessions.values()].find((s) => (s.metadata as Record<string, string>).appointmentId === appointmentId)!;

  /** Lets the hold lapse now and runs its hold-expiry job on the worker. */
  async function lapse(appointmentId: string, slotId: string) {
    await query(api, `update appointment set hold_expires_at = now() - interval '1 second' where id = ?`, [appointmentId]);
    await query(api, `update slot set hold_expires_at = now() - interval '1 second' where id = ?`, [slotId]);
    const job = await api.runtime.queues.get("booking").getJob(`hold-${appointmentId}`);
    await job!.promote();
    await waitFor(async () => (await appointmentRow(api, appointmentId)).status === "expired");
  }

  it("the worker expires the Checkout Session with the hold; the payment that still arrives books the free slot", async () => {
    const { slots, patient, doctor } = await paidSetup(api);
    const held = await paidHold(api, patient, slots[0]!.id);
    const session = sessionOf(held.id);
    await lapse(held.id, slots[0]!.id);
    await waitFor(() => stripe.calls(`/v1/checkout/sessions/${String(session.id)}/expire`).length === 1 || undefined);
    expect(session.status).toBe("expired");
    expect(await slotStatus(api, slots[0]!.id)).toBe("available");
    // Stripe's own minimum lifetime means a payment may already be under way: it still counts.
    const reply = await deliver(api.url, signedEvent("checkout.session.completed", paidSession(session)));
    expect(reply.body).toMatchObject({ outcome: "rebooked" });
    const live = await query<{ id: string; status: string; payment_status: string }>(
      api,
      `select id, status, payment_status from appointment where slot_id = ? and status not in ('cancelled', 'expired')`,
      [slots[0]!.id],
    );
    expect(live).toEqual([expect.objectContaining({ status: "scheduled", payment_status: "paid" })]);
    expect(await slotStatus(api, slots[0]!.id)).toBe("booked");
    expect(await count(api, `select count(*) as n from wallet_entry where doctor_id = ? and kind = 'credit' and amount_minor = ?`, [doctor.doctorId, FEE])).toBe(1);
    expect(stripe.calls("/v1/refunds")).toHaveLength(0);
  });

  it("taken by someone else meanwhile: refunded through the refunds API, the patient told, never a double booking", async () => {
    const { slots, patient } = await paidSetup(api);
    const held = await paidHold(api, patient, slots[0]!.id);
    const session = sessionOf(held.id);
    await lapse(held.id, slots[0]!.id);
    const other = await patientOn(api, "standard");
    const taken = await hold(api, other, { slotId: slots[0]!.id });
    expect(taken.status).toBe(201);
    expect((await api.runtime.queues.get("booking").getJob(`hold-${String(taken.body.id)}`))?.name).toBe("hold-expiry");
    const paid = paidSession(session, "pi_test_late_taken");
    const event = signedEvent("checkout.session.completed", paid);
    // Stripe's refunds API down: the webhook fails and keeps nothing, so Stripe's redelivery redoes it.
    stripe.down = true;
    try {
      expect((await deliver(api.url, event)).status).toBe(500);
    } finally {
      stripe.down = false;
    }
    expect(await count(api, `select count(*) as n from payment_event where id = ?`, [event.id])).toBe(0);
    expect(await count(api, `select count(*) as n from payment_transaction where appointment_id = ?`, [held.id])).toBe(0);
    expect(await appointmentRow(api, held.id)).toMatchObject({ status: "expired", payment_status: "unpaid" });
    expect((await deliver(api.url, event)).body).toMatchObject({ outcome: "refunded" });
    const refunds = stripe.calls("/v1/refunds").filter((r) => r.idempotencyKey);
    // Every try (the failed ones included) used the same key, so Stripe makes one refund.
    expect(new Set(refunds.map((r) => r.idempotencyKey))).toEqual(new Set([`refund-${held.id}`]));
    expect(refunds.at(-1)).toEqual(
      expect.objectContaining({ idempotencyKey: `refund-${held.id}`, form: expect.objectContaining({ payment_intent: "pi_test_late_taken", "metadata[appointmentId]": held.id }) }),
    );
    expect(await appointmentRow(api, held.id)).toMatchObject({ status: "expired", payment_status: "refunded" });
    expect(await count(api, `select count(*) as n from appointment where slot_id = ? and status not in ('cancelled', 'expired')`, [slots[0]!.id])).toBe(1);
    expect(await count(api, `select count(*) as n from wallet_entry where appointment_id = ?`, [held.id])).toBe(0);
    const [refund] = await query<{ amount_minor: number }>(api, `select amount_minor from payment_transaction where appointment_id = ? and kind = 'refund'`, [held.id]);
    expect(refund).toEqual({ amount_minor: FEE + TRANSACTION_FEE });
    expect(await count(api, `select count(*) as n from notification_outbox where user_id = ? and template = 'payments.refunded-slot-taken'`, [patient.user.id])).toBeGreaterThan(0);
    // Stripe's charge.refunded for our own refund is recorded once, nothing reversed twice.
    const refunded = signedEvent("charge.refunded", { id: "ch_test_1", object: "charge", payment_intent: "pi_test_late_taken", amount_refunded: FEE + TRANSACTION_FEE, refunds: { data: [] } });
    expect((await deliver(api.url, refunded)).body).toMatchObject({ outcome: "refund_recorded" });
    expect(await count(api, `select count(*) as n from payment_transaction where appointment_id = ? and kind = 'refund'`, [held.id])).toBe(1);
    // The replayed payment event refunds nothing more.
    const tries = stripe.calls("/v1/refunds").length;
    expect((await deliver(api.url, event)).body).toMatchObject({ outcome: "duplicate" });
    expect(stripe.calls("/v1/refunds")).toHaveLength(tries);
  });
});
