/** Booking flows: tiers, policy, idempotency, confirm/cancel/reschedule/status, access, validation. */
import { beforeAll, describe, expect, it } from "vitest";
import { createAppointmentReplySchema } from "@clinic/shared";
import { useApp } from "../support/harness";
import { buildClinicWithDoctor, buildPatient, buildPerson, buildSlots, type TestPerson } from "../support/factories";
import { call, hold } from "../support/api";
import { count, inconsistencies, query } from "../support/db";

describe("booking flows", () => {
  const app = useApp({ LOG_LEVEL: "error" });
  let clinicId: string;
  let doctor: TestPerson & { doctorId: string };
  let reception: TestPerson;
  let ids: string[];

  beforeAll(async () => {
    ({ clinicId, doctor, reception } = await buildClinicWithDoctor(app));
    ids = (await buildSlots(app, { doctorId: doctor.doctorId, clinicId, count: 40 })).map((s) => s.id);
  });
  const slot = () => ids.shift()!;

  it("tiers: none 403, vise needs a relation, paid tiers go to pay with a 2% fee", async () => {
    const none = await buildPatient(app, { tier: "none" });
    const r1 = await hold(app, none, { slotId: slot() });
    expect([r1.status, r1.body.code]).toEqual([403, "SUBSCRIPTION_REQUIRED"]);

    const vise = await buildPatient(app, { tier: "vise" });
    const s = slot();
    const r2 = await hold(app, vise, { slotId: s });
    expect([r2.status, r2.body.code]).toEqual([403, "VISE_RELATION_REQUIRED"]);
    await query(app, `insert into doctor_patient (id, doctor_id, patient_id, created_at) values (gen_random_uuid(), ?, ?, now())`, [doctor.doctorId, vise.patientId]);
    const r3 = await hold(app, vise, { slotId: s });
    expect(r3.status).toBe(201);
    expect(createAppointmentReplySchema.parse(r3.body)).toMatchObject({ status: "pending", slotId: s, next: "confirm", checkoutUrl: null, paymentStatus: "not_required" });
    // A free hold lasts HOLD_TTL_SECONDS (600 by default) …
    const freeHold = (Date.parse(r3.body.holdExpiresAt) - Date.now()) / 1000;
    expect(freeHold).toBeGreaterThan(590);
    expect(freeHold).toBeLessThanOrEqual(600);

    await query(app, `update doctor set consultation_fee_minor = 5050 where id = ?`, [doctor.doctorId]);
    const std = await buildPatient(app, { tier: "standard" });
    const r4 = await hold(app, std, { slotId: slot() });
    expect(r4.status).toBe(201);
    expect(r4.body).toMatchObject({ next: "pay", paymentStatus: "unpaid", feeMinor: 5050, transactionFeeMinor: 101 });
    // … a paid one is the payment window, PAYMENT_WINDOW_SECONDS (900 by default).
    const paymentWindow = (Date.parse(r4.body.holdExpiresAt) - Date.now()) / 1000;
    expect(paymentWindow).toBeGreaterThan(890);
    expect(paymentWindow).toBeLessThanOrEqual(900);
    const confirm = await call(app, std, "POST", `/appointments/${r4.body.id}/confirm`);
    expect([confirm.status, confirm.body.code]).toEqual([409, "PAYMENT_REQUIRED"]);
  });

  it("idempotent retries (sequential and concurrent) return one appointment; another body → 422", async () => {
    const patient = await buildPatient(app, { tier: "vise" });
    await query(app, `insert into doctor_patient (id, doctor_id, patient_id, created_at) values (gen_random_uuid(), ?, ?, now())`, [doctor.doctorId, patient.patientId]);
    const s = slot();
    const replies = await Promise.all(Array.from({ length: 8 }, () => hold(app, patient, { slotId: s }, "key-concurrent-1")));
    expect(replies.map((r) => r.status)).toEqual(Array(8).fill(201));
    expect(new Set(replies.map((r) => r.body.id)).size).toBe(1);
    const again = await hold(app, patient, { slotId: s }, "key-concurrent-1");
    expect([again.status, again.body.id]).toEqual([201, replies[0]!.body.id]);
    const other = await hold(app, patient, { slotId: slot() }, "key-concurrent-1");
    expect([other.status, other.body.code]).toEqual([422, "IDEMPOTENCY_KEY_REUSED"]);
    expect(await count(app, `select count(*) n from appointment where slot_id = ?`, [s])).toBe(1);
  });

  it("one key on two slots at once: one hold, the other 422, nothing else written", async () => {
    const patient = await buildPatient(app, { tier: "vise" });
    await query(app, `insert into doctor_patient (id, doctor_id, patient_id, created_at) values (gen_random_uuid(), ?, ?, now())`, [doctor.doctorId, patient.patientId]);
    for (let round = 0; round < 5; round++) {
      const [a, b] = [slot(), slot()];
      const replies = await Promise.all([hold(app, patient, { slotId: a }, `key-two-slots-${round}`), hold(app, patient, { slotId: b }, `key-two-slots-${round}`)]);
      expect(replies.map((r) => r.status).sort()).toEqual([201, 422]);
      expect(replies.find((r) => r.status === 422)!.body.code).toBe("IDEMPOTENCY_KEY_REUSED");
      expect(await count(app, `select count(*) n from appointment where slot_id in (?, ?)`, [a, b])).toBe(1);
      expect(await count(app, `select count(*) n from slot where id in (?, ?) and status = 'held'`, [a, b])).toBe(1);
    }
    expect(await inconsistencies(app, doctor.doctorId)).toEqual({ doubles: 0, mismatched: [], overlapping: 0 });
  });

  it("a hold commits its appointment, slot, audit row, stored answer and events together; the reply is the stored row", async () => {
    const patient = await buildPatient(app, { tier: "vise" });
    await query(app, `insert into doctor_patient (id, doctor_id, patient_id, created_at) values (gen_random_uuid(), ?, ?, now())`, [doctor.doctorId, patient.patientId]);
    const s = slot();
    const held = await hold(app, patient, { slotId: s }, "key-one-statement");
    expect(held.status).toBe(201);
    const read = await call(app, patient, "GET", `/appointments/${held.body.id}`);
    expect(read.body).toMatchObject({ id: held.body.id, status: "pending", slotId: s, start: held.body.start, end: held.body.end, holdExpiresAt: held.body.holdExpiresAt, version: 1 });
    const [slotRow] = await query<{ status: string; version: number; hold_expires_at: Date }>(app, `select status, version, hold_expires_at from slot where id = ?`, [s]);
    expect([slotRow!.status, slotRow!.version, new Date(slotRow!.hold_expires_at).toISOString()]).toEqual(["held", 2, held.body.holdExpiresAt]);
    const [audit] = await query<{ action: string; actor_id: string; after: { id: string; status: string } }>(
      app,
      `select action, actor_id, after from audit_event where entity_id = ?`,
      [held.body.id],
    );
    expect(audit).toMatchObject({ action: "booking.appointment.hold", actor_id: patient.user.id, after: read.body });
    const [answer] = await query<{ response_status: number; response_body: unknown }>(app, `select response_status, response_body from idempotency_record where key = 'key-one-statement'`);
    expect(answer).toEqual({ response_status: 201, response_body: held.body });
    const events = await query<{ name: string; version: number }>(
      app,
      `select name, (data->>'version')::int as version from domain_event where data->>'slotId' = ? order by id`,
      [s],
    );
    expect(events).toEqual([
      { name: "slot.held", version: 2 },
      { name: "appointment.created", version: 1 },
    ]);
  });

  it("confirm, cancel with cutoff, status transitions, illegal ones 409", async () => {
    const patient = await buildPatient(app, { tier: "vise" });
    await query(app, `insert into doctor_patient (id, doctor_id, patient_id, created_at) values (gen_random_uuid(), ?, ?, now())`, [doctor.doctorId, patient.patientId]);
    const s = slot();
    const held = await hold(app, patient, { slotId: s });
    const other = await buildPatient(app, { tier: "vise" });
    expect((await call(app, other, "POST", `/appointments/${held.body.id}/confirm`)).status).toBe(404);
    const confirmed = await call(app, patient, "POST", `/appointments/${held.body.id}/confirm`);
    expect([confirmed.status, confirmed.body.status]).toEqual([200, "scheduled"]);
    expect((await query(app, `select status, version from slot where id = ?`, [s]))[0]).toMatchObject({ status: "booked", version: 3 });
    expect((await call(app, patient, "POST", `/appointments/${held.body.id}/confirm`)).body.code).toBe("ILLEGAL_TRANSITION");
    expect((await call(app, other, "POST", `/appointments/${held.body.id}/cancel`, { reason: "x" })).status).toBe(404);
    const elsewhere = await buildPerson(app, "receptionist", { clinicIds: [(await buildClinicWithDoctor(app)).clinicId] });
    expect((await call(app, elsewhere, "POST", `/appointments/${held.body.id}/cancel`, { reason: "x" })).status).toBe(403);

    // The patient's cutoff: 200 hours before start is past for a slot 5 days away.
    await query(app, `update clinic set settings = '{"patientCancelCutoffHours": 200, "blockRepeatedNoShows": false}' where id = ?`, [clinicId]);
    const late = await call(app, patient, "POST", `/appointments/${held.body.id}/cancel`, { reason: "busy" });
    expect([late.status, late.body.code]).toEqual([409, "CANCEL_CUTOFF_PASSED"]);
    // Past the cutoff the answer says whom to call: the clinic's own number when it has one.
    await query(app, `update clinic set phone = '+442071234567' where id = ?`, [clinicId]);
    const tooLate = await call(app, patient, "POST", `/appointments/${held.body.id}/cancel`, { reason: "busy" });
    expect([tooLate.body.code, tooLate.body.clinicPhone, tooLate.body.detail]).toEqual([
      "CANCEL_CUTOFF_PASSED",
      "+442071234567",
      "Cancel online up to 200 hours before; call the clinic on +44 20 7123 4567",
    ]);
    await query(app, `update clinic set phone = null where id = ?`, [clinicId]);
    await query(app, `update clinic set settings = '{}' where id = ?`, [clinicId]);

    const checkedIn = await call(app, doctor, "POST", `/appointments/${held.body.id}/status`, { status: "checked_in" });
    expect([checkedIn.status, checkedIn.body.status]).toEqual([200, "checked_in"]);
    const illegal = await call(app, doctor, "POST", `/appointments/${held.body.id}/status`, { status: "completed" });
    expect([illegal.status, illegal.body.code]).toEqual([409, "ILLEGAL_TRANSITION"]);
    expect((await call(app, patient, "POST", `/appointments/${held.body.id}/status`, { status: "no_show", reason: "me" })).status).toBe(404);
    const unexplained = await call(app, reception, "POST", `/appointments/${held.body.id}/status`, { status: "no_show" });
    expect([unexplained.status, JSON.stringify(unexplained.body).includes("body.reason")]).toEqual([400, true]);
    const noShow = await call(app, reception, "POST", `/appointments/${held.body.id}/status`, { status: "no_show", reason: "did not come, no answer on the phone" });
    expect([noShow.body.status, noShow.body.statusReason]).toEqual(["no_show", "did not come, no answer on the phone"]);
    expect((await query(app, `select status from slot where id = ?`, [s]))[0]!.status).toBe("booked");

    // Cancel frees the slot; audited.
    const second = await hold(app, patient, { slotId: slot() });
    const cancelled = await call(app, patient, "POST", `/appointments/${second.body.id}/cancel`, { reason: "changed my mind" });
    expect([cancelled.status, cancelled.body.status]).toEqual([200, "cancelled"]);
    expect(await count(app, `select count(*) n from audit_event where entity_id = ? and action = 'booking.appointment.cancel'`, [second.body.id])).toBe(1);
    expect((await inconsistencies(app, doctor.doctorId)).mismatched).toEqual([]);
  });

  it("reschedule is atomic: new appointment scheduled, old cancelled 'rescheduled'; a taken target changes nothing", async () => {
    const patient = await buildPatient(app, { tier: "vise" });
    await query(app, `insert into doctor_patient (id, doctor_id, patient_id, created_at) values (gen_random_uuid(), ?, ?, now())`, [doctor.doctorId, patient.patientId]);
    const [a, b, c] = [slot(), slot(), slot()];
    const held = await hold(app, patient, { slotId: a });
    await call(app, patient, "POST", `/appointments/${held.body.id}/confirm`);
    const blocker = await buildPatient(app, { tier: "vise" });
    await query(app, `insert into doctor_patient (id, doctor_id, patient_id, created_at) values (gen_random_uuid(), ?, ?, now())`, [doctor.doctorId, blocker.patientId]);
    expect((await hold(app, blocker, { slotId: c })).status).toBe(201);
    const refused = await call(app, patient, "POST", `/appointments/${held.body.id}/reschedule`, { slotId: c });
    expect([refused.status, refused.body.code]).toEqual([409, "SLOT_TAKEN"]);
    expect((await query(app, `select status from appointment where id = ?`, [held.body.id]))[0]!.status).toBe("scheduled");

    const moved = await call(app, patient, "POST", `/appointments/${held.body.id}/reschedule`, { slotId: b });
    expect(moved.status).toBe(200);
    expect(moved.body.appointment).toMatchObject({ status: "scheduled", slotId: b, rescheduledFrom: held.body.id });
    expect(moved.body.previous).toMatchObject({ status: "cancelled", statusReason: "rescheduled" });
    expect((await query(app, `select id, status from slot where id in (?, ?)`, [a, b])).map((r) => [r.id, r.status]).sort()).toEqual(
      [[a, "available"], [b, "booked"]].sort(),
    );
  });

  it("no-show warning, then the clinic's block; booking rules → 422; staff books for a patient", async () => {
    const patient = await buildPatient(app, { tier: "vise", relatedTo: doctor.doctorId });
    const past = await buildSlots(app, { doctorId: doctor.doctorId, clinicId, count: 5, date: new Date(Date.now() - 3 * 86_400_000).toISOString().slice(0, 10), status: "booked" });
    for (const [i, s] of past.entries()) {
      await query(
        app,
        `insert into appointment (id, slot_id, patient_id, doctor_id, clinic_id, starts_at, ends_at, status) values (gen_random_uuid(), ?, ?, ?, ?, ?, ?, ?)`,
        [s.id, patient.patientId, doctor.doctorId, clinicId, s.startsAt, s.endsAt, i < 3 ? "no_show" : "completed"],
      );
    }
    const warned = await hold(app, patient, { slotId: slot() });
    expect(warned.status).toBe(201);
    expect(warned.body.warning).toMatch(/missed 3/);
    const history = await call(app, reception, "GET", `/patients/${patient.patientId}/appointments/history`);
    expect(history.body).toMatchObject({ noShowCount: 3, missedOfLastFive: 3, warning: true });
    await query(app, `update clinic set settings = '{"blockRepeatedNoShows": true}' where id = ?`, [clinicId]);
    const blocked = await hold(app, patient, { slotId: slot() });
    expect([blocked.status, blocked.body.code]).toEqual([403, "NO_SHOW_BLOCKED"]);
    const byStaff = await hold(app, reception, { slotId: slot(), patientId: patient.patientId });
    expect(byStaff.status).toBe(201);
    await query(app, `update clinic set settings = '{}' where id = ?`, [clinicId]);

    const other = await buildPatient(app, { tier: "standard" });
    await query(app, `insert into booking_rule (id, clinic_id, spec, active, created_at) values (gen_random_uuid(), ?, ?::jsonb, true, now())`, [
      clinicId,
      JSON.stringify({ type: "maxDaysInAdvance", days: 1 }),
    ]);
    const r = await hold(app, other, { slotId: slot() });
    expect([r.status, r.body.code]).toEqual([422, "RULE_VIOLATION"]);
    expect(r.body.violations.length).toBeGreaterThan(0);
    await query(app, `delete from booking_rule where clinic_id = ?`, [clinicId]);
  });

  it("bad input → 400 naming the field, nothing written", async () => {
    const patient = await buildPatient(app, { tier: "standard" });
    const before = await count(app, `select count(*) n from appointment`);
    const bad = await call(app, patient, "POST", "/appointments", { slotId: "nope" });
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].field).toBe("body.slotId");
    const key = await hold(app, patient, { slotId: slot() }, "bad key!");
    expect(key.status).toBe(400);
    expect(key.body.errors[0].field).toBe("headers.idempotency-key");
    const unknown = await call(app, patient, "POST", "/appointments", { slotId: slot(), extra: 1 });
    expect(unknown.status).toBe(400);
    expect(await count(app, `select count(*) n from appointment`)).toBe(before);
  });
});
