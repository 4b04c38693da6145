/**
 * Walk-ins at the desk take phone numbers as people say them: `07700 900123` at a UK clinic is
 * +447700900123 (the clinic's own number names its country), the same person typed the
 * international way is the same patient, reception finds them by the local digits, and a number
 * that cannot be one is a 400 on the field with nothing written.
 */
import { describe, expect, it } from "vitest";
import { patientLookupReplySchema, queueEntryViewSchema } from "@clinic/shared";
import { useApp } from "../support/harness";
import { buildClinic, buildDoctor, buildPerson, buildSlotFromNow } from "../support/factories";
import { middayZone } from "../support/dates";
import { call, walkIn } from "../support/api";
import { query } from "../support/db";

describe("walk-in phone numbers", () => {
  const app = useApp();

  async function desk(phone?: string) {
    const clinic = await buildClinic(app, { timeZone: middayZone(), phone });
    const doctor = await buildDoctor(app, [clinic.id]);
    const reception = await buildPerson(app, "receptionist", { clinicIds: [clinic.id] });
    for (const minutes of [20, 40, 60]) await buildSlotFromNow(app, { doctorId: doctor.doctorId, clinicId: clinic.id, fromNowMinutes: minutes, kind: "walk_in" });
    return { clinic, doctor, reception };
  }

  const phoneOf = async (patientId: string) => (await query<{ phone: string }>(app, "select phone from patient where id = ?", [patientId]))[0]?.phone;

  it("reads a local number in the clinic's country, and knows the same person typed the international way", async () => {
    const { clinic, reception } = await desk("+442071234567");
    const local = await walkIn(app, reception, clinic.id, { newPatient: { name: "Imogen Local", phone: "07700 900123" } });
    expect(local.status).toBe(201);
    const first = queueEntryViewSchema.parse(local.body);
    expect(await phoneOf(first.patientId)).toBe("+447700900123");

    const again = await walkIn(app, reception, clinic.id, { newPatient: { name: "I. Local", phone: "+44 7700-900123" } });
    expect(again.status).toBe(201);
    expect(queueEntryViewSchema.parse(again.body).patientId).toBe(first.patientId);

    // Reception finds them by the digits they would say, the local way.
    const found = await call(app, reception, "GET", `/clinics/${clinic.id}/queue/patients?q=${encodeURIComponent("07700 9001")}`);
    expect(patientLookupReplySchema.parse(found.body).items.map((item) => item.id)).toEqual([first.patientId]);
  });

  it("refuses what cannot be a number, on the field, and writes nothing", async () => {
    const { clinic, reception } = await desk("+442071234567");
    const before = await query<{ n: number }>(app, "select count(*)::int as n from user_account");
    for (const phone of ["12345", "0770090012345", "phone me"]) {
      const reply = await walkIn(app, reception, clinic.id, { newPatient: { name: "Nobody Written", phone } });
      expect(reply.status, phone).toBe(400);
      expect(JSON.stringify(reply.body)).toContain("body.newPatient.phone");
    }
    expect(await query(app, "select count(*)::int as n from user_account")).toEqual(before);
    expect(await query(app, "select id from queue_entry where clinic_id = ?", [clinic.id])).toEqual([]);
  });

  it("at a clinic with no phone of its own, asks for the country code", async () => {
    const { clinic, reception } = await desk();
    const local = await walkIn(app, reception, clinic.id, { newPatient: { name: "Noor Abroad", phone: "07700 900124" } });
    expect(local.status).toBe(400);
    expect(JSON.stringify(local.body)).toContain("country code");
    const international = await walkIn(app, reception, clinic.id, { newPatient: { name: "Noor Abroad", phone: "+880 1712-345678" } });
    expect(international.status).toBe(201);
    expect(await phoneOf(queueEntryViewSchema.parse(international.body).patientId)).toBe("+8801712345678");
  });
});
