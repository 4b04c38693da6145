/**
 * Booking for a patient who phones in: the desk finds them by the number they say (or records them),
 * books a free slot for them — a free visit confirmed at once, a paid one held with the payment link
 * sent to the patient once — and only the clinic's staff may.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { paymentLinkReplySchema, quickPatientReplySchema } from "@clinic/shared";
import { useApp } from "../support/harness";
import { buildClinic, buildDoctor, buildPerson, buildSlotFromNow, type TestPerson } from "../support/factories";
import { call, hold } from "../support/api";
import { count, query } from "../support/db";

describe("phone-in bookings", () => {
  const app = useApp();
  let clinicId: string;
  let reception: TestPerson;

  beforeAll(async () => {
    clinicId = (await buildClinic(app, { phone: "+442071234567" })).id;
    reception = await buildPerson(app, "receptionist", { clinicIds: [clinicId] });
  });

  it("finds or records the patient by the number as said, once", async () => {
    const first = await call(app, reception, "POST", `/clinics/${clinicId}/patients`, { name: "Mina Phone", phone: "07700 900777" });
    expect(first.status).toBe(201);
    expect(quickPatientReplySchema.parse(first.body)).toMatchObject({ fullName: "Mina Phone", phone: "+447700900777", created: true });
    const again = await call(app, reception, "POST", `/clinics/${clinicId}/patients`, { name: "M. Phone", phone: "+44 7700 900777" });
    expect([again.status, again.body.id, again.body.fullName, again.body.created]).toEqual([200, first.body.id, "Mina Phone", false]);
    expect(await count(app, "select count(*) n from audit_event where action = 'patient.quick-record' and entity_id = ?", [first.body.id])).toBe(1);

    const staffPhone = (await query<{ phone: string }>(app, "update user_account set phone = '+447700900778' where id = ? returning phone", [reception.user.id]))[0]!.phone;
    const taken = await call(app, reception, "POST", `/clinics/${clinicId}/patients`, { name: "Not Staff", phone: staffPhone });
    expect([taken.status, taken.body.code, taken.body.field]).toEqual([409, "PHONE_IN_USE", "body.phone"]);
    const bad = await call(app, reception, "POST", `/clinics/${clinicId}/patients`, { name: "Short Number", phone: "123" });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain("body.phone");
    for (const outsider of [await buildPerson(app, "patient"), await buildPerson(app, "receptionist", { clinicIds: [(await buildClinic(app)).id] })]) {
      expect((await call(app, outsider, "POST", `/clinics/${clinicId}/patients`, { name: "Sneaky", phone: "07700 900779" })).status).toBe(403);
    }
    expect(await count(app, "select count(*) n from patient where phone = '+447700900779'")).toBe(0);
  });

  it("books a free visit for them and confirms it; a paid one is held and the link sent to them once", async () => {
    // A service paid at the clinic: nothing is paid online, so the desk confirms at once.
    const admin = await buildPerson(app, "clinic_admin", { clinicIds: [clinicId] });
    const atDesk = await call(app, admin, "POST", `/clinics/${clinicId}/services`, { name: "Check-up (pay at the desk)", durationMinutes: 15, colour: "#2266aa", priceMinor: 3000, paymentRequired: false });
    expect(atDesk.status, JSON.stringify(atDesk.body)).toBe(201);
    const free = await buildDoctor(app, [clinicId]);
    const patient = quickPatientReplySchema.parse((await call(app, reception, "POST", `/clinics/${clinicId}/patients`, { name: "Omar Free", phone: "07700 900801" })).body);
    const slot = await buildSlotFromNow(app, { doctorId: free.doctorId!, clinicId, fromNowMinutes: 3 * 24 * 60 });
    const held = await hold(app, reception, { slotId: slot.id, patientId: patient.id, serviceId: atDesk.body.id });
    expect([held.status, held.body.next], JSON.stringify(held.body)).toEqual([201, "confirm"]);
    expect((await call(app, reception, "POST", `/appointments/${held.body.id}/confirm`)).status).toBe(200);
    // A patient without a plan still may not book online for themself: only the desk's booking is priced as standard.
    const online = await buildPerson(app, "patient");
    await query(app, "update patient set subscription_tier = 'none' where id = ?", [online.patientId]);
    const self = await hold(app, online, { slotId: (await buildSlotFromNow(app, { doctorId: free.doctorId!, clinicId, fromNowMinutes: 4 * 24 * 60 })).id });
    expect([self.status, self.body.code]).toEqual([403, "SUBSCRIPTION_REQUIRED"]);

    const paid = await buildDoctor(app, [clinicId]);
    await query(app, "update doctor set consultation_fee_minor = 4500 where id = ?", [paid.doctorId]);
    const caller = quickPatientReplySchema.parse((await call(app, reception, "POST", `/clinics/${clinicId}/patients`, { name: "Priya Paid", phone: "07700 900802" })).body);
    const paidSlot = await buildSlotFromNow(app, { doctorId: paid.doctorId!, clinicId, fromNowMinutes: 3 * 24 * 60 });
    const paidHold = await hold(app, reception, { slotId: paidSlot.id, patientId: caller.id });
    expect([paidHold.status, paidHold.body.next]).toEqual([201, "pay"]);
    const link = await call(app, reception, "POST", `/payments/appointments/${paidHold.body.id}/payment-link`);
    expect(link.status, JSON.stringify(link.body)).toBe(200);
    const sent = paymentLinkReplySchema.parse(link.body);
    expect(sent.channels).toContain("in_app");
    const [message] = await query<{ payload: { checkoutUrl: string; amount: string } }>(
      app,
      "select payload from notification_outbox where template = 'payments.pay-link' and channel = 'in_app' and payload->>'appointmentId' = ?",
      [paidHold.body.id],
    );
    expect(message!.payload.checkoutUrl).toBe(sent.checkoutUrl);
    // Asked again: the same link, nothing sent twice.
    const twice = paymentLinkReplySchema.parse((await call(app, reception, "POST", `/payments/appointments/${paidHold.body.id}/payment-link`)).body);
    expect(twice.checkoutUrl).toBe(sent.checkoutUrl);
    expect(await count(app, "select count(*) n from notification_outbox where template = 'payments.pay-link' and payload->>'appointmentId' = ?", [paidHold.body.id])).toBe(
      await count(app, "select count(distinct channel) n from notification_outbox where template = 'payments.pay-link' and payload->>'appointmentId' = ?", [paidHold.body.id]),
    );
    const patientSelf = await buildPerson(app, "patient");
    expect((await call(app, patientSelf, "POST", `/payments/appointments/${paidHold.body.id}/payment-link`)).status).toBe(404);
  });
});
