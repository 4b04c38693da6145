/** Loyalty points (docs/loyalty.md): balance and history, redemption at booking time, returns on release. */
import { describe, expect, it } from "vitest";
import type { EntityManager } from "@mikro-orm/postgresql";
import { priceBooking } from "../../server/src/modules/booking/booking-policy";
import { awardLoyaltyPoints } from "../../server/src/modules/loyalty/loyalty.service";
import { useApp } from "../support/harness";
import { buildClinicWithDoctor, buildPatient, buildPerson, buildSlots, grantPoints, setClinicSettings } from "../support/factories";
import { balanceOf, call, hold } from "../support/api";
import { count, query } from "../support/db";
import { entries, ledgerSum } from "./support";

describe("loyalty points", () => {
  const app = useApp({ LOG_LEVEL: "error" });

  it("balance is the ledger's sum; history is newest first and pages without gaps or repeats", async () => {
    const { clinicId, doctor } = await buildClinicWithDoctor(app);
    const patient = await buildPatient(app, { tier: "standard" });
    // A real award: a completed visit and the award job's function (run twice: awarded once).
    const [slot] = await buildSlots(app, { doctorId: doctor.doctorId, clinicId, count: 1 });
    const held = await hold(app, patient, { slotId: slot!.id });
    await query(app, `update appointment set status = 'completed' where id = ?`, [held.body.id]);
    const em = app.runtime.orm.em.fork() as unknown as EntityManager;
    expect(await awardLoyaltyPoints(em, held.body.id)).toEqual({ outcome: "awarded", points: 10 });
    expect(await awardLoyaltyPoints(em, held.body.id)).toEqual({ outcome: "already_awarded" });
    for (const points of [5, 7, 11]) await grantPoints(app, patient.patientId, clinicId, points);

    const first = await call(app, patient, "GET", "/me/loyalty?limit=3");
    expect(first.status).toBe(200);
    expect(first.body.balance).toBe(33);
    expect(first.body.items.map((e: { points: number }) => e.points)).toEqual([11, 7, 5]);
    const second = await call(app, patient, "GET", `/me/loyalty?limit=3&cursor=${first.body.nextCursor}`);
    expect(second.body.items).toEqual([expect.objectContaining({ kind: "award", points: 10, appointmentId: held.body.id, clinicId })]);
    expect(second.body.nextCursor).toBeNull();
    expect((await call(app, patient, "GET", "/me/loyalty?limit=0")).status).toBe(400);

    // The clinic's reception (the patient booked there) and the platform admin read it; others do not.
    const { reception } = await buildClinicWithDoctor(app); // another clinic's reception
    const ownReception = await buildPerson(app, "receptionist", { clinicIds: [clinicId] });
    const admin = await buildPerson(app, "platform_admin");
    const other = await buildPatient(app, { tier: "standard" });
    expect((await call(app, ownReception, "GET", `/patients/${patient.patientId}/loyalty`)).body.balance).toBe(33);
    expect((await call(app, admin, "GET", `/patients/${patient.patientId}/loyalty`)).body.balance).toBe(33);
    expect((await call(app, reception, "GET", `/patients/${patient.patientId}/loyalty`)).status).toBe(403);
    expect((await call(app, other, "GET", `/patients/${patient.patientId}/loyalty`)).status).toBe(404);
  }, 60_000);

  it("redeeming makes a paid booking free and writes one debit; too few points → 409, nothing written", async () => {
    const { clinicId, doctor } = await buildClinicWithDoctor(app);
    const [a, b] = await buildSlots(app, { doctorId: doctor.doctorId, clinicId, count: 2 });
    const patient = await buildPatient(app, { tier: "standard" });
    await grantPoints(app, patient.patientId, clinicId, 150);

    // Reception cannot spend the patient's points for them.
    const clinicReception = await buildPerson(app, "receptionist", { clinicIds: [clinicId] });
    const forThem = await hold(app, clinicReception, { slotId: a!.id, patientId: patient.patientId, redeemPoints: true });
    expect(forThem.body).toMatchObject({ status: 403, field: "body.redeemPoints" });

    const free = await hold(app, patient, { slotId: a!.id, redeemPoints: true }, "redeem-once");
    expect(free.status).toBe(201);
    // A keyed retry replays the answer and debits nothing more.
    expect((await hold(app, patient, { slotId: a!.id, redeemPoints: true }, "redeem-once")).body.id).toBe(free.body.id);
    expect(free.body).toMatchObject({ next: "confirm", paymentStatus: "not_required", feeMinor: 0, transactionFeeMinor: 0, checkoutUrl: null });
    const [debit] = await query(app, `select kind, points, appointment_id from loyalty_points_entry where patient_id = ? and kind = 'redeem'`, [patient.patientId]);
    expect(debit).toEqual({ kind: "redeem", points: -100, appointment_id: free.body.id });
    expect(await balanceOf(app, patient)).toBe(50);
    expect((await call(app, patient, "POST", `/appointments/${free.body.id}/confirm`)).body.status).toBe("scheduled");

    const short = await hold(app, patient, { slotId: b!.id, redeemPoints: true });
    expect(short.status).toBe(409);
    expect(short.body).toMatchObject({ code: "INSUFFICIENT_POINTS", field: "body.redeemPoints" });
    expect(await count(app, `select count(*) as n from appointment where slot_id = ?`, [b!.id])).toBe(0);
    expect((await query(app, `select status from slot where id = ?`, [b!.id]))[0]).toEqual({ status: "available" });
    expect(await ledgerSum(app, patient.patientId)).toBe(50);
    expect(await entries(app, patient.patientId, "redeem")).toBe(1);

    // Without redeemPoints the same patient books and pays as usual; with redemption off → 422.
    await setClinicSettings(app, clinicId, { loyaltyPointsPerFreeBooking: 0 });
    const off = await hold(app, patient, { slotId: b!.id, redeemPoints: true });
    expect(off.status).toBe(422);
    expect(off.body).toMatchObject({ code: "LOYALTY_REDEMPTION_OFF", field: "body.redeemPoints" });
    const paid = await hold(app, patient, { slotId: b!.id });
    expect(paid.body).toMatchObject({ next: "pay", paymentStatus: "unpaid" });
  }, 60_000);

  it("only a booking that would be paid spends points", () => {
    const base = { hasDoctorRelation: true, service: null, doctorFeeMinor: 5000, redeemPoints: 100 };
    expect(priceBooking({ ...base, tier: "vise" })).toMatchObject({ paymentStatus: "not_required", pointsRedeemed: 0 });
    expect(priceBooking({ ...base, tier: "standard" })).toMatchObject({ next: "confirm", paymentStatus: "not_required", feeMinor: 0, pointsRedeemed: 100 });
    expect(priceBooking({ ...base, tier: "standard", redeemPoints: 0 })).toMatchObject({ next: "pay", feeMinor: 5000, pointsRedeemed: 0 });
  });

  it("ten racing redemptions with points for one: exactly one wins, the balance never goes negative", async () => {
    const { clinicId, doctor } = await buildClinicWithDoctor(app);
    const tenSlots = await buildSlots(app, { doctorId: doctor.doctorId, clinicId, count: 10 });
    const patient = await buildPatient(app, { tier: "standard" });
    await grantPoints(app, patient.patientId, clinicId, 100);
    const replies = await Promise.all(tenSlots.map((slot) => hold(app, patient, { slotId: slot.id, redeemPoints: true })));
    const statuses = replies.map((r) => r.status).sort();
    expect(statuses).toEqual([201, ...Array(9).fill(409)]);
    expect(replies.filter((r) => r.status === 409).map((r) => r.body.code)).toEqual(Array(9).fill("INSUFFICIENT_POINTS"));
    expect(await entries(app, patient.patientId, "redeem")).toBe(1);
    expect(await ledgerSum(app, patient.patientId)).toBe(0);
    expect(await balanceOf(app, patient)).toBe(0);
    expect(await count(app, `select count(*) as n from appointment where patient_id = ?`, [patient.patientId])).toBe(1);
  }, 60_000);

  it("the ledger itself refuses a debit that would take the balance below zero", async () => {
    const { clinicId } = await buildClinicWithDoctor(app);
    const patient = await buildPatient(app, { tier: "standard" });
    await grantPoints(app, patient.patientId, clinicId, 30);
    await expect(
      query(app, `insert into loyalty_points_entry (id, patient_id, clinic_id, kind, points) values (gen_random_uuid(), ?, ?, 'redeem', -31)`, [patient.patientId, clinicId]),
    ).rejects.toThrow(/would go negative/);
    expect(await ledgerSum(app, patient.patientId)).toBe(30);
  }, 30_000);

  it("a timely cancel, a released hold and a lapsed hold return the points; a late cancel keeps them spent", async () => {
    const { clinicId, doctor, reception } = await buildClinicWithDoctor(app);
    const [a, b, c, d] = await buildSlots(app, { doctorId: doctor.doctorId, clinicId, count: 4 });
    const patient = await buildPatient(app, { tier: "standard" });
    await grantPoints(app, patient.patientId, clinicId, 100);

    // Timely: the patient cancels a confirmed free booking 5 days ahead (cutoff 24 h).
    const timely = await hold(app, patient, { slotId: a!.id, redeemPoints: true });
    await call(app, patient, "POST", `/appointments/${timely.body.id}/confirm`);
    expect(await balanceOf(app, patient)).toBe(0);
    expect((await call(app, patient, "POST", `/appointments/${timely.body.id}/cancel`, { reason: "plans changed" })).status).toBe(200);
    expect(await balanceOf(app, patient)).toBe(100);
    const [back] = await query(app, `select points, appointment_id from loyalty_points_entry where patient_id = ? and kind = 'return'`, [patient.patientId]);
    expect(back).toEqual({ points: 100, appointment_id: timely.body.id });

    // A released hold (cancelled while pending).
    const released = await hold(app, patient, { slotId: b!.id, redeemPoints: true });
    expect(await balanceOf(app, patient)).toBe(0);
    await call(app, patient, "POST", `/appointments/${released.body.id}/cancel`, { reason: "mistake" });
    expect(await balanceOf(app, patient)).toBe(100);

    // A lapsed hold: confirming it after it lapsed expires it (the same release the expiry job does).
    const lapsed = await hold(app, patient, { slotId: c!.id, redeemPoints: true });
    await query(app, `update appointment set hold_expires_at = now() - interval '1 second' where id = ?`, [lapsed.body.id]);
    expect((await call(app, patient, "POST", `/appointments/${lapsed.body.id}/confirm`)).body.code).toBe("HOLD_EXPIRED");
    expect(await balanceOf(app, patient)).toBe(100);

    // Late: the clinic's cutoff is 200 h, the visit 5 days away; the patient may not cancel, reception does.
    await setClinicSettings(app, clinicId, { patientCancelCutoffHours: 200 });
    const late = await hold(app, patient, { slotId: d!.id, redeemPoints: true });
    await call(app, patient, "POST", `/appointments/${late.body.id}/confirm`);
    expect((await call(app, patient, "POST", `/appointments/${late.body.id}/cancel`, { reason: "late" })).body.code).toBe("CANCEL_CUTOFF_PASSED");
    expect((await call(app, reception, "POST", `/appointments/${late.body.id}/cancel`, { reason: "patient called" })).status).toBe(200);
    expect(await balanceOf(app, patient)).toBe(0);
    expect(await entries(app, patient.patientId, "return")).toBe(3);
    expect(await ledgerSum(app, patient.patientId)).toBe(0);
  }, 60_000);

  it("a rescheduled free booking stays free and returns its points once, when the new visit is cancelled in time", async () => {
    const { clinicId, doctor } = await buildClinicWithDoctor(app);
    const [a, b] = await buildSlots(app, { doctorId: doctor.doctorId, clinicId, count: 2 });
    const patient = await buildPatient(app, { tier: "standard" });
    await grantPoints(app, patient.patientId, clinicId, 100);
    const first = await hold(app, patient, { slotId: a!.id, redeemPoints: true });
    await call(app, patient, "POST", `/appointments/${first.body.id}/confirm`);
    const moved = await call(app, patient, "POST", `/appointments/${first.body.id}/reschedule`, { slotId: b!.id });
    expect(moved.status).toBe(200);
    expect(moved.body.appointment).toMatchObject({ paymentStatus: "not_required", feeMinor: 0 });
    expect(await balanceOf(app, patient)).toBe(0);
    await call(app, patient, "POST", `/appointments/${moved.body.appointment.id}/cancel`, { reason: "no longer needed" });
    expect(await balanceOf(app, patient)).toBe(100);
    expect(await entries(app, patient.patientId, "return")).toBe(1);
  }, 60_000);
});
