/**
 * The webhook believes only what this server issued: a completion books only for the Checkout
 * Session recorded for the appointment, at its amount and currency; anything else is recorded as a
 * mismatch, alerts the clinic's admins and books nothing. Signatures (and events) stamped more than
 * five minutes ahead are refused like stale ones.
 */
import { describe, expect, it } from "vitest";
import { buildPerson } from "../support/factories";
import { buildClinicWithPaidDoctor, paidHold } from "../support/paid-visits";
import { count, query, statusOf } from "../support/db";
import { appointmentRow, usePaymentApps } from "./support";
import { deliver, paidSession, signedEvent } from "../support/stripe-standin";

describe("webhook trust", () => {
  const payments = usePaymentApps();

  async function heldWithAdmin() {
    const base = await buildClinicWithPaidDoctor(payments.api);
    const admin = await buildPerson(payments.api, "clinic_admin", { clinicIds: [base.clinicId] });
    const held = await paidHold(payments.api, base.patient, base.slots[0]!.id);
    return { ...base, admin, held, session: payments.stripe.sessionOf(held.id) };
  }

  const alerts = (userId: string) =>
    count(payments.api, `select count(*) n from notification_outbox where user_id = ? and template = 'payments.mismatch' and channel = 'in_app'`, [userId]);

  it.each([
    ["another session id", (s: Record<string, unknown>) => ({ ...s, id: "cs_test_not_ours" }), "session cs_test_not_ours"],
    ["another amount", (s: Record<string, unknown>) => ({ ...s, amount_total: 1 }), "amount 1"],
    ["another currency", (s: Record<string, unknown>) => ({ ...s, currency: "usd" }), "currency usd"],
  ])("a completion with %s is a recorded mismatch: admins alerted, nothing booked", async (_what, forge, difference) => {
    const { admin, held, session, slots } = await heldWithAdmin();
    const forged = signedEvent("checkout.session.completed", paidSession(forge(session)));
    expect((await deliver(payments.api.url, forged)).body).toMatchObject({ outcome: "mismatch" });
    expect(await appointmentRow(payments.api, held.id)).toMatchObject({ status: "pending", payment_status: "unpaid" });
    expect(await statusOf(payments.api, "slot", slots[0]!.id)).toBe("held");
    expect(await count(payments.api, `select count(*) n from payment_transaction where appointment_id = ?`, [held.id])).toBe(0);
    expect(await count(payments.api, `select count(*) n from wallet_entry where appointment_id = ?`, [held.id])).toBe(0);
    const [recorded] = await query<{ after: { differences: string[] } }>(payments.api, `select after from audit_event where action = 'payments.mismatch' and entity_id = ?`, [held.id]);
    expect(recorded!.after.differences.join(" ")).toContain(difference);
    expect(await query(payments.api, `select outcome from payment_event where id = ?`, [forged.id])).toEqual([{ outcome: "mismatch" }]);
    expect(await alerts(admin.user.id)).toBe(1);
    // The session we issued still books it.
    expect((await deliver(payments.api.url, signedEvent("checkout.session.completed", paidSession(session)))).body).toMatchObject({ outcome: "booked" });
  });

  it("an expiry of a session we did not issue cancels nothing", async () => {
    const { admin, held, session } = await heldWithAdmin();
    const foreign = signedEvent("checkout.session.expired", { ...session, id: "cs_test_foreign", status: "expired" });
    expect((await deliver(payments.api.url, foreign)).body).toMatchObject({ outcome: "mismatch" });
    expect(await appointmentRow(payments.api, held.id)).toMatchObject({ status: "pending", payment_status: "unpaid" });
    expect(await alerts(admin.user.id)).toBe(1);
  });

  it("refuses signatures and events stamped more than five minutes ahead, like stale ones; a small clock skew passes", async () => {
    const { held, session } = await heldWithAdmin();
    const now = Math.floor(Date.now() / 1000);
    const signedAhead = signedEvent("checkout.session.completed", paidSession(session), { timestamp: now + 600 });
    const createdAhead = signedEvent("checkout.session.completed", paidSession(session), { created: now + 600 });
    for (const delivery of [signedAhead, createdAhead]) {
      const reply = await deliver(payments.api.url, delivery);
      expect([reply.status, reply.body.code]).toEqual([400, "BAD_SIGNATURE"]);
    }
    expect(await count(payments.api, `select count(*) n from payment_event where id = any(?::text[])`, [`{${signedAhead.id},${createdAhead.id}}`])).toBe(0);
    expect(await appointmentRow(payments.api, held.id)).toMatchObject({ status: "pending" });
    const skewed = signedEvent("checkout.session.completed", paidSession(session), { timestamp: now + 120 });
    expect((await deliver(payments.api.url, skewed)).body).toMatchObject({ outcome: "booked" });
  });
});
