/**
 * Time off and clinic closures: blocking free slots, reporting and auto-cancelling taken ones,
 * permanent leave, re-opening on delete (with overlapping leave), dry runs, races, access.
 */
import { beforeAll, describe, expect, it } from "vitest";
import {
  deleteUnavailabilityResultSchema,
  problemSchema,
  unavailabilityListSchema,
  unavailabilityResultSchema,
} from "@clinic/shared";
import { readJson, useApp } from "../support/harness";
import { buildClinic, buildPerson, buildSlots, type TestPerson } from "../support/factories";
import { caller } from "../support/api";
import { count as countRows, query, slotsOf } from "../support/db";
import { at, dayFromNow } from "../support/dates";

describe("time off and closures", () => {
  const app = useApp();
  const call = caller(app);
  let clinicA: string;
  let clinicB: string;
  let admin: TestPerson;
  let receptionA: TestPerson;
  let adminA: TestPerson;
  let receptionOther: TestPerson;
  let patient: TestPerson;

  beforeAll(async () => {
    clinicA = (await buildClinic(app)).id;
    clinicB = (await buildClinic(app)).id;
    const other = (await buildClinic(app)).id;
    admin = await buildPerson(app, "platform_admin");
    receptionA = await buildPerson(app, "receptionist", { clinicIds: [clinicA] });
    adminA = await buildPerson(app, "clinic_admin", { clinicIds: [clinicA] });
    receptionOther = await buildPerson(app, "receptionist", { clinicIds: [other] });
    patient = await buildPerson(app, "patient");
  });

  const newDoctor = (clinicIds = [clinicA, clinicB]) => buildPerson(app, "doctor", { clinicIds });
  const count = (table: string, where = "true", params: unknown[] = []) => countRows(app, `select count(*) as n from ${table} where ${where}`, params);

  it("blocks the free slots in range, reports the taken ones, and a dry run predicts it without writing", async () => {
    const doctor = await newDoctor();
    const day = dayFromNow(3);
    const slots = await buildSlots(app, {
      doctorId: doctor.doctorId!,
      clinicId: clinicA,
      date: day,
      from: "09:00",
      count: 8,
      minutes: 15,
      status: (i) => (i === 2 ? "booked" : i === 5 ? "held" : "available"),
    });
    const body = { clinicId: clinicA, kind: "vacation", startsAt: at(day, "09:00").toISOString(), endsAt: at(day, "10:00").toISOString(), reason: "Away" };

    const dry = await readJson(await call(receptionA, "POST", `/doctors/${doctor.doctorId}/unavailability`, { ...body, dryRun: true }), unavailabilityResultSchema);
    expect(dry.unavailability).toBeNull();
    expect(dry.blocked.map((s) => s.id)).toEqual([slots[0]!.id, slots[1]!.id, slots[3]!.id]);
    expect(dry.affected.map((s) => [s.id, s.status])).toEqual([[slots[2]!.id, "booked"]]);
    expect((await slotsOf(app, doctor.doctorId!)).every((s) => s.version === 1)).toBe(true);
    expect(await count("unavailability", "doctor_id = ?", [doctor.doctorId])).toBe(0);

    const response = await call(receptionA, "POST", `/doctors/${doctor.doctorId}/unavailability`, body);
    expect(response.status).toBe(201);
    const real = await readJson(response, unavailabilityResultSchema);
    expect(real.blocked).toEqual(dry.blocked);
    expect(real.affected).toEqual(dry.affected);
    expect(real.cancelled).toEqual([]);
    const after = await slotsOf(app, doctor.doctorId!);
    expect(after.map((s) => `${s.status}/${s.version}`)).toEqual([
      "blocked/2", "blocked/2", "booked/1", "blocked/2", "available/1", "held/1", "available/1", "available/1",
    ]);
    expect(await count("audit_event", "action = 'scheduling.unavailability.create' and entity_id = ?", [real.unavailability!.id])).toBe(1);
    expect(await count("notification_outbox", "template = 'booking.cancelled-by-leave'")).toBe(0);

    const list = await readJson(await call(doctor, "GET", `/doctors/${doctor.doctorId}/unavailability`), unavailabilityListSchema);
    expect(list.items.map((u) => u.id)).toEqual([real.unavailability!.id]);
  });

  it("with autoCancel releases held and booked slots, cancels their appointments and tells each patient", async () => {
    const doctor = await newDoctor();
    const patient = await buildPerson(app, "patient");
    const day = dayFromNow(4);
    const slots = await buildSlots(app, {
      doctorId: doctor.doctorId!,
      clinicId: clinicA,
      date: day,
      from: "14:00",
      count: 4,
      minutes: 30,
      status: (i) => (["booked", "available", "held", "available"] as const)[i]!,
    });
    // A scheduled appointment on the booked slot and a pending one on the held slot.
    for (const [slot, status] of [[slots[0]!, "scheduled"], [slots[2]!, "pending"]] as const) {
      await query(
        app,
        `insert into appointment (id, slot_id, patient_id, doctor_id, clinic_id, starts_at, ends_at, status)
         values (gen_random_uuid(), ?, ?, ?, ?, ?, ?, ?)`,
        [slot.id, patient.patientId, doctor.doctorId, clinicA, slot.startsAt, slot.endsAt, status],
      );
    }
    const response = await call(doctor, "POST", `/doctors/${doctor.doctorId}/unavailability`, {
      clinicId: clinicA,
      kind: "emergency_leave",
      startsAt: at(day, "14:00").toISOString(),
      endsAt: at(day, "16:00").toISOString(),
      reason: "Family emergency",
      autoCancel: true,
    });
    const result = await readJson(response, unavailabilityResultSchema);
    expect(result.cancelled.map((s) => [s.id, s.status, s.version])).toEqual([
      [slots[0]!.id, "blocked", 2],
      [slots[2]!.id, "blocked", 2],
    ]);
    const rows = await slotsOf(app, doctor.doctorId!);
    expect(rows.every((s) => s.status === "blocked" && s.version === 2)).toBe(true);
    expect(rows[0]!.note).toContain("Family emergency");

    const appointments = await query<{ status: string; status_reason: string }>(
      app,
      `select status, status_reason from appointment where doctor_id = ? order by starts_at`,
      [doctor.doctorId],
    );
    expect(appointments.map((a) => a.status)).toEqual(["cancelled", "cancelled"]);
    expect(appointments[0]!.status_reason).toContain("Family emergency");
    const outbox = await query<{ payload: { reason: string }; channel: string; recipient: string; user_id: string; status: string }>(
      app,
      `select payload, channel, recipient, user_id, status from notification_outbox where template = 'booking.cancelled-by-leave' and user_id = ? order by channel, status`,
      [patient.user.id],
    );
    // Each patient hears it through their channels (by default in the app and by email), with the reason;
    // the channels they did not opt into are recorded as not sent.
    expect(outbox.map((m) => [m.channel, m.recipient, m.status])).toEqual([
      ["email", patient.user.email, "queued"],
      ["email", patient.user.email, "queued"],
      ["in_app", patient.user.id, "queued"],
      ["in_app", patient.user.id, "queued"],
      ["push", patient.user.id, "not_sent"],
      ["push", patient.user.id, "not_sent"],
      ["sms", "", "not_sent"],
      ["sms", "", "not_sent"],
    ]);
    expect(outbox.every((m) => m.payload.reason === "Family emergency")).toBe(true);
    expect(await count("audit_event", "action = 'scheduling.slot.cancel-by-leave' and entity_id in (?, ?)", [slots[0]!.id, slots[2]!.id])).toBe(2);
    expect(await count("audit_event", "action = 'booking.appointment.cancel-by-leave'")).toBe(2);
  });

  it("permanent leave at every clinic blocks everything from its start on, and deleting it re-opens", async () => {
    const doctor = await newDoctor();
    const early = await buildSlots(app, { doctorId: doctor.doctorId!, clinicId: clinicA, date: dayFromNow(2), from: "09:00", count: 2, minutes: 20 });
    const later = [
      ...(await buildSlots(app, { doctorId: doctor.doctorId!, clinicId: clinicA, date: dayFromNow(5), from: "09:00", count: 2, minutes: 20 })),
      ...(await buildSlots(app, { doctorId: doctor.doctorId!, clinicId: clinicB, date: dayFromNow(200), from: "09:00", count: 2, minutes: 20 })),
    ];
    // Staff of only one of the doctor's clinics may not take the doctor off everywhere.
    const body = { kind: "conference", startsAt: at(dayFromNow(5), "00:00").toISOString(), reason: "Sabbatical" };
    expect((await call(receptionA, "POST", `/doctors/${doctor.doctorId}/unavailability`, body)).status).toBe(403);
    const result = await readJson(await call(doctor, "POST", `/doctors/${doctor.doctorId}/unavailability`, body), unavailabilityResultSchema);
    expect(result.unavailability).toMatchObject({ clinicId: null, endsAt: null });
    expect(result.blocked.map((s) => s.id).sort()).toEqual(later.map((s) => s.id).sort());
    const rows = await slotsOf(app, doctor.doctorId!);
    expect(rows.filter((s) => early.some((e) => e.id === s.id)).every((s) => s.status === "available" && s.version === 1)).toBe(true);

    const deleted = await readJson(await call(doctor, "DELETE", `/unavailability/${result.unavailability!.id}`), deleteUnavailabilityResultSchema);
    expect(deleted.reopened.map((s) => s.id).sort()).toEqual(later.map((s) => s.id).sort());
    const reopened = await slotsOf(app, doctor.doctorId!);
    expect(reopened.map((s) => `${s.status}/${s.version}`)).toEqual(["available/1", "available/1", "available/3", "available/3", "available/3", "available/3"]);
    expect(reopened.every((s) => s.tags.length === 0)).toBe(true);
    expect(await count("unavailability", "id = ?", [result.unavailability!.id])).toBe(0);
  });

  it("deleting one of two overlapping leaves keeps what the other covers blocked, until it goes too", async () => {
    const doctor = await newDoctor();
    const day = dayFromNow(6);
    const slots = await buildSlots(app, { doctorId: doctor.doctorId!, clinicId: clinicA, date: day, from: "09:00", count: 8, minutes: 15 });
    const leave = async (from: string, to: string) =>
      readJson(
        await call(receptionA, "POST", `/doctors/${doctor.doctorId}/unavailability`, {
          clinicId: clinicA, kind: "surgery", startsAt: at(day, from).toISOString(), endsAt: at(day, to).toISOString(), reason: `${from}-${to}`,
        }),
        unavailabilityResultSchema,
      );
    const first = await leave("09:00", "10:00"); // slots 0-3
    const second = await leave("09:30", "11:00"); // slots 2-7; 2 and 3 are blocked already
    expect(second.blocked.map((s) => s.id)).toEqual(slots.slice(4).map((s) => s.id));

    const one = await readJson(await call(receptionA, "DELETE", `/unavailability/${first.unavailability!.id}`), deleteUnavailabilityResultSchema);
    expect(one.reopened.map((s) => s.id)).toEqual([slots[0]!.id, slots[1]!.id]);
    expect((await slotsOf(app, doctor.doctorId!)).map((s) => s.status)).toEqual([
      "available", "available", "blocked", "blocked", "blocked", "blocked", "blocked", "blocked",
    ]);
    const two = await readJson(await call(receptionA, "DELETE", `/unavailability/${second.unavailability!.id}`), deleteUnavailabilityResultSchema);
    expect(two.reopened.map((s) => s.id)).toEqual(slots.slice(2).map((s) => s.id));
    const rows = await slotsOf(app, doctor.doctorId!);
    expect(rows.every((s) => s.status === "available" && s.tags.length === 0)).toBe(true);
    // 0,1: blocked, reopened; 2,3: blocked, handed over, reopened; 4-7: blocked, reopened.
    expect(rows.map((s) => s.version)).toEqual([3, 3, 4, 4, 3, 3, 3, 3]);
  });

  it("a clinic holiday blocks every doctor's free slots at that clinic only (clinic admin)", async () => {
    const d1 = await newDoctor();
    const d2 = await newDoctor([clinicA]);
    const day = dayFromNow(8);
    const a1 = await buildSlots(app, { doctorId: d1.doctorId!, clinicId: clinicA, date: day, from: "09:00", count: 3, minutes: 20 });
    const b1 = await buildSlots(app, { doctorId: d1.doctorId!, clinicId: clinicB, date: day, from: "14:00", count: 3, minutes: 20 });
    const a2 = await buildSlots(app, {
      doctorId: d2.doctorId!, clinicId: clinicA, date: day, from: "09:00", count: 3, minutes: 20, status: (i) => (i === 1 ? "booked" : "available"),
    });
    const body = { kind: "holiday", startsAt: at(day, "00:00").toISOString(), endsAt: at(dayFromNow(9), "00:00").toISOString(), reason: "Bank holiday" };
    expect((await call(receptionA, "POST", `/clinics/${clinicA}/closures`, body)).status).toBe(403);
    const dry = await readJson(await call(adminA, "POST", `/clinics/${clinicA}/closures`, { ...body, dryRun: true }), unavailabilityResultSchema);
    expect(await count("unavailability", "clinic_id = ? and doctor_id is null", [clinicA])).toBe(0);
    const result = await readJson(await call(adminA, "POST", `/clinics/${clinicA}/closures`, body), unavailabilityResultSchema);
    expect(result.blocked).toEqual(dry.blocked);
    expect(result.blocked.map((s) => s.id).sort()).toEqual([...a1, a2[0]!, a2[2]!].map((s) => s.id).sort());
    expect(result.affected.map((s) => s.id)).toEqual([a2[1]!.id]);
    expect((await slotsOf(app, d1.doctorId!)).filter((s) => b1.some((b) => b.id === s.id)).every((s) => s.status === "available")).toBe(true);

    const closures = await readJson(await call(receptionA, "GET", `/clinics/${clinicA}/closures`), unavailabilityListSchema);
    expect(closures.items.map((c) => c.id)).toContain(result.unavailability!.id);
    const forDoctor = await readJson(await call(d2, "GET", `/doctors/${d2.doctorId}/unavailability`), unavailabilityListSchema);
    expect(forDoctor.items.map((c) => c.id)).toContain(result.unavailability!.id);
    expect((await call(receptionA, "DELETE", `/unavailability/${result.unavailability!.id}`)).status).toBe(403);
    const removed = await readJson(await call(adminA, "DELETE", `/unavailability/${result.unavailability!.id}`), deleteUnavailabilityResultSchema);
    expect(removed.reopened).toHaveLength(5);
  });

  it("two concurrent overlapping requests block each free slot exactly once", async () => {
    const doctor = await newDoctor();
    const day = dayFromNow(10);
    const slots = await buildSlots(app, { doctorId: doctor.doctorId!, clinicId: clinicA, date: day, from: "08:00", count: 24, minutes: 15 });
    const body = (from: string, to: string, who: TestPerson) =>
      call(who, "POST", `/doctors/${doctor.doctorId}/unavailability`, {
        clinicId: clinicA, kind: "vacation", startsAt: at(day, from).toISOString(), endsAt: at(day, to).toISOString(), reason: "race",
      });
    const responses = await Promise.all([body("08:00", "12:00", receptionA), body("10:00", "14:00", doctor), body("09:00", "13:00", admin)]);
    expect(responses.map((r) => r.status)).toEqual([201, 201, 201]);
    const results = await Promise.all(responses.map((r) => readJson(r, unavailabilityResultSchema)));
    const blockedIds = results.flatMap((r) => r.blocked.map((s) => s.id));
    expect(new Set(blockedIds).size).toBe(blockedIds.length); // nobody blocked a slot twice
    expect(blockedIds.sort()).toEqual(slots.map((s) => s.id).sort());
    const rows = await slotsOf(app, doctor.doctorId!);
    expect(rows.every((s) => s.status === "blocked" && s.version === 2 && s.tags.length === 1)).toBe(true);
  });

  it("refuses bad input naming the field, and callers without the right", async () => {
    const doctor = await newDoctor([clinicA]);
    const day = dayFromNow(12);
    await buildSlots(app, { doctorId: doctor.doctorId!, clinicId: clinicA, date: day, from: "09:00", count: 2, minutes: 15 });
    const valid = { clinicId: clinicA, kind: "vacation", startsAt: at(day, "09:00").toISOString(), endsAt: at(day, "10:00").toISOString(), reason: "x" };
    const path = `/doctors/${doctor.doctorId}/unavailability`;

    const backwards = await call(receptionA, "POST", path, { ...valid, endsAt: at(day, "08:00").toISOString() });
    expect(backwards.status).toBe(400);
    expect(problemSchema.parse(await backwards.json()).errors?.map((e) => e.field)).toEqual(["body.endsAt"]);
    for (const bad of [{ ...valid, kind: "holiday" }, { ...valid, startsAt: "tomorrow" }, { ...valid, reason: "" }, { ...valid, colour: "red" }]) {
      expect((await call(receptionA, "POST", path, bad)).status).toBe(400);
    }
    expect((await call(receptionOther, "POST", path, valid)).status).toBe(403);
    expect((await call(patient, "POST", path, valid)).status).toBe(403);
    expect((await call(undefined, "POST", path, valid)).status).toBe(401);
    expect((await call(receptionOther, "GET", path)).status).toBe(403);
    expect((await call(admin, "POST", path, { ...valid, clinicId: clinicB })).status).toBe(422); // not the doctor's clinic
    expect(await count("unavailability", "doctor_id = ?", [doctor.doctorId])).toBe(0);
    expect((await slotsOf(app, doctor.doctorId!)).every((s) => s.status === "available" && s.version === 1)).toBe(true);
  });
});
