/**
 * Who books for free (docs/booking.md, the product owner's booking flow): the vise tier with a
 * doctor it has a relation with, whatever the service's payment flag; the paying tiers when the
 * service is paid at the clinic. Each free booking tells its doctor.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { useApp } from "../support/harness";
import { buildClinicWithDoctor, buildPatient, buildSlots, type TestPerson } from "../support/factories";
import { call, hold } from "../support/api";
import { query } from "../support/db";

describe("free bookings", () => {
  const app = useApp({ LOG_LEVEL: "error" });
  let clinicId: string;
  let doctor: TestPerson & { doctorId: string };
  let free: string[];

  beforeAll(async () => {
    ({ clinicId, doctor } = await buildClinicWithDoctor(app));
    await query(app, `update doctor set consultation_fee_minor = 5050 where id = ?`, [doctor.doctorId]);
    free = (await buildSlots(app, { doctorId: doctor.doctorId, clinicId, count: 6 })).map((slot) => slot.id);
  });

  async function serviceOnNextSlot(paymentRequired: boolean): Promise<string> {
    const slotId = free.shift()!;
    const [service] = await query<{ id: string }>(
      app,
      `insert into clinic_service (id, clinic_id, name, duration_minutes, colour, price_minor, currency, payment_required, active, created_at, updated_at)
       values (gen_random_uuid(), ?, ?, 15, '#336699', 4500, 'GBP', ?, true, now(), now()) returning id`,
      [clinicId, `Consultation ${slotId.slice(0, 6)}`, paymentRequired],
    );
    await query(app, `update slot set service_id = ? where id = ?`, [service!.id, slotId]);
    return slotId;
  }

  const doctorNotices = () =>
    query<{ payload: { appointmentId: string; why: string } }>(app, `select payload from notification_outbox where user_id = ? and template = 'booking.free-booked' and channel = 'in_app'`, [doctor.user.id]);

  it("vise with a relation books free even when the service requires payment, and the doctor is told on confirm", async () => {
    const vise = await buildPatient(app, { tier: "vise" });
    await query(app, `insert into doctor_patient (id, doctor_id, patient_id, created_at) values (gen_random_uuid(), ?, ?, now())`, [doctor.doctorId, vise.patientId]);
    const slotId = await serviceOnNextSlot(true);
    const held = await hold(app, vise, { slotId });
    expect(held.status).toBe(201);
    expect(held.body).toMatchObject({ next: "confirm", paymentStatus: "not_required", feeMinor: 0, checkoutUrl: null });
    expect(await doctorNotices()).toEqual([]);
    expect((await call(app, vise, "POST", `/appointments/${held.body.id}/confirm`)).status).toBe(200);
    expect((await doctorNotices()).map((n) => n.payload)).toEqual([expect.objectContaining({ appointmentId: held.body.id, why: "free with the vise plan" })]);
  });

  it("the paying tiers pay for a paid-online service and book a pay-at-clinic one without paying online (the doctor is told)", async () => {
    const standard = await buildPatient(app, { tier: "standard" });
    const paidOnline = await hold(app, standard, { slotId: await serviceOnNextSlot(true) });
    expect(paidOnline.body).toMatchObject({ next: "pay", paymentStatus: "unpaid", feeMinor: 4500 });
    const atClinic = await hold(app, standard, { slotId: await serviceOnNextSlot(false) });
    expect(atClinic.body).toMatchObject({ next: "confirm", paymentStatus: "not_required", feeMinor: 0 });
    expect((await call(app, standard, "POST", `/appointments/${atClinic.body.id}/confirm`)).status).toBe(200);
    expect((await doctorNotices()).map((n) => n.payload)).toContainEqual(expect.objectContaining({ appointmentId: atClinic.body.id, why: "to be paid at the clinic" }));
  });

  it("vise without a relation is still refused", async () => {
    const vise = await buildPatient(app, { tier: "vise" });
    const refused = await hold(app, vise, { slotId: await serviceOnNextSlot(true) });
    expect([refused.status, refused.body.code]).toEqual([403, "VISE_RELATION_REQUIRED"]);
  });
});
