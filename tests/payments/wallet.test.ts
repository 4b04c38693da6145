/** The doctor's wallet: balance = ledger, pagination, payouts (never overdrawn, serialized per doctor). */
import { describe, expect, it } from "vitest";
import { buildPatient, buildPerson } from "../support/factories";
import { buildClinicWithPaidDoctor, FEE, paidHold } from "../support/paid-visits";
import { call } from "../support/api";
import { query } from "../support/db";
import { usePaymentApps } from "./support";
import { deliver, paidSession, signedEvent } from "../support/stripe-standin";

describe("doctor wallet", () => {
  const payments = usePaymentApps();

  async function pay(patient: Awaited<ReturnType<typeof buildPatient>>, slotId: string) {
    const held = await paidHold(payments.api, patient, slotId);
    expect((await deliver(payments.api.url, signedEvent("checkout.session.completed", paidSession(payments.stripe.sessionOf(held.id))))).body).toMatchObject({ outcome: "booked" });
    return held.id;
  }
  const ledger = async (doctorId: string) =>
    Number((await query<{ sum: string | null }>(payments.api, `select sum(case kind when 'credit' then amount_minor else -amount_minor end) as sum from wallet_entry where doctor_id = ?`, [doctorId]))[0]!.sum ?? 0);

  it("balance equals the ledger and never goes negative over a random run of payments, refunds and payouts", async () => {
    const base = await buildClinicWithPaidDoctor(payments.api, 12);
    const admin = await buildPerson(payments.api, "platform_admin");
    let seed = 20261122;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const paid: string[] = [];
    const done = { pay: 0, refund: 0, payout: 0, refused: 0 };
    let free = [...base.slots];
    for (let step = 0; step < 30; step++) {
      const roll = random();
      if ((roll < 0.4 || paid.length === 0) && free.length > 0) {
        paid.push(await pay(await buildPatient(payments.api, { tier: "standard" }), free[0]!.id));
        free = free.slice(1);
        done.pay++;
      } else if (roll < 0.65 && paid.length > 0) {
        const id = paid.splice(Math.floor(random() * paid.length), 1)[0]!;
        const amountMinor = 1 + Math.floor(random() * 5000);
        expect((await call(payments.api, base.reception, "POST", `/payments/appointments/${id}/refund`, { amountMinor, reason: "random run" })).status).toBe(200);
        done.refund++;
      } else {
        const before = await ledger(base.doctor.doctorId);
        const amountMinor = 1 + Math.floor(random() * (before + 3000));
        const reply = await call(payments.api, admin, "POST", `/doctors/${base.doctor.doctorId}/wallet/payouts`, { amountMinor, currency: "gbp", reference: `tr-${step}` });
        expect(reply.status).toBe(amountMinor <= before ? 201 : 409);
        done[reply.status === 201 ? "payout" : "refused"]++;
      }
      const wallet = await call(payments.api, admin, "GET", `/doctors/${base.doctor.doctorId}/wallet`);
      expect(wallet.status).toBe(200);
      const balance = (wallet.body.balances as { currency: string; balanceMinor: number }[]).find((b) => b.currency === "GBP")?.balanceMinor ?? 0;
      expect(balance).toBe(await ledger(base.doctor.doctorId));
      expect(balance).toBeGreaterThanOrEqual(0);
    }
    // The run did every kind of step (the seed is fixed, so this holds on every run).
    expect(Object.values(done).every((n) => n > 0)).toBe(true);
    // Pages of 4, newest first, cover the ledger exactly once.
    const all = await query<{ id: string }>(payments.api, `select id from wallet_entry where doctor_id = ? order by created_at desc, id desc`, [base.doctor.doctorId]);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await call(payments.api, admin, "GET", `/doctors/${base.doctor.doctorId}/wallet?limit=4${cursor ? `&cursor=${cursor}` : ""}`);
      seen.push(...(page.body.items as { id: string }[]).map((i) => i.id));
      cursor = page.body.nextCursor as string | null;
    } while (cursor);
    expect(seen).toEqual(all.map((r) => r.id));
  });

  it("two racing payouts of the whole balance: one 201, one 409 naming amountMinor", async () => {
    const base = await buildClinicWithPaidDoctor(payments.api);
    await pay(base.patient, base.slots[0]!.id);
    const admin = await buildPerson(payments.api, "clinic_admin", { clinicIds: [base.clinicId] });
    const body = { amountMinor: FEE, currency: "GBP", reference: "race" };
    const replies = await Promise.all([0, 1].map(() => call(payments.api, admin, "POST", `/doctors/${base.doctor.doctorId}/wallet/payouts`, body)));
    expect(replies.map((r) => r.status).sort()).toEqual([201, 409]);
    expect(JSON.stringify(replies.find((r) => r.status === 409)!.body)).toContain("amountMinor");
    expect(await ledger(base.doctor.doctorId)).toBe(0);
    expect(await query(payments.api, `select 1 from audit_event where action = 'payments.payout' and entity_id = ?`, [base.doctor.doctorId])).toHaveLength(1);
  });

  it("the doctor and the clinic's admins read the wallet; reception, other doctors and patients do not", async () => {
    const base = await buildClinicWithPaidDoctor(payments.api);
    const other = await buildClinicWithPaidDoctor(payments.api);
    const admin = await buildPerson(payments.api, "clinic_admin", { clinicIds: [base.clinicId] });
    const path = `/doctors/${base.doctor.doctorId}/wallet`;
    for (const who of [base.doctor, admin]) expect((await call(payments.api, who, "GET", path)).status).toBe(200);
    for (const who of [base.reception, other.doctor, base.patient]) expect((await call(payments.api, who, "GET", path)).status).toBe(403);
    expect((await call(payments.api, base.doctor, "POST", `${path}/payouts`, { amountMinor: 1, currency: "GBP", reference: "self" })).status).toBe(403);
    expect((await call(payments.api, admin, "POST", `${path}/payouts`, { amountMinor: 0, currency: "GBP", reference: "x" })).status).toBe(400);
  });
});
