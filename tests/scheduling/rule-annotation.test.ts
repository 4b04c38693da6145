/**
 * A rule edit that changes nothing its slots are made of (note, tags, colour): no materialisation.
 * No slot is created, removed or re-versioned, a slot a bulk delete removed stays removed, held and
 * booked slots keep their own note, and the edit still audits and records one `slots.annotated`.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { availabilityRuleWriteReplySchema } from "@clinic/shared";
import { useApp } from "../support/harness";
import { buildClinic, buildDoctor, buildPerson, type TestPerson } from "../support/factories";
import { call } from "../support/api";
import { count, query } from "../support/db";
import { at, dayFromNow } from "../support/dates";

interface SlotState {
  id: string;
  version: number;
  status: string;
  note: string | null;
  tags: string[];
  updated_at: Date;
}

describe("availability rule edits of internal fields", () => {
  const app = useApp();
  let clinicId: string;
  let admin: TestPerson;

  beforeAll(async () => {
    clinicId = (await buildClinic(app)).id;
    admin = await buildPerson(app, "clinic_admin", { clinicIds: [clinicId] });
  });

  const slotsOf = (doctorId: string) =>
    query<SlotState>(app, `select id, version, status, note, tags, updated_at from slot where doctor_id = ? order by starts_at`, [doctorId]);
  const eventsSince = async (id: number) =>
    (await query<{ name: string; data: Record<string, unknown> }>(app, `select name, data from domain_event where id > ? order by id`, [id])).map((e) => [e.name, e.data]);
  const lastEventId = async () => count(app, `select coalesce(max(id), 0) n from domain_event`);

  /** A one-day rule of four 30-minute slots (09:00–11:00); the 09:30 slot bulk-deleted, the 10:00 one booked. */
  async function ruleWithHistory() {
    const doctor = await buildDoctor(app, [clinicId]);
    const day = dayFromNow(6);
    const created = await call(app, admin, "POST", `/doctors/${doctor.doctorId}/availability-rules`, {
      clinicId,
      recurrence: { freq: "daily", interval: 1, weekdays: [] },
      validFrom: day,
      validUntil: day,
      startTime: "09:00",
      endTime: "11:00",
      slotMinutes: 30,
      note: "first note",
    });
    expect(created.status).toBe(201);
    const deleted = await call(app, admin, "POST", `/doctors/${doctor.doctorId}/slots/bulk`, {
      clinicId,
      from: at(day, "09:30").toISOString(),
      to: at(day, "10:00").toISOString(),
      action: "delete",
    });
    expect(deleted.status).toBe(200);
    const laid = await slotsOf(doctor.doctorId);
    expect(laid).toHaveLength(3);
    await query(app, `update slot set status = 'booked', version = version + 1 where id = ?`, [laid[1]!.id]);
    return { doctorId: doctor.doctorId, ruleId: availabilityRuleWriteReplySchema.parse(created.body).rule.id, day };
  }

  it("a note and tags edit writes them onto the free slots only, with their ids and versions unchanged, and recreates nothing", async () => {
    const { doctorId, ruleId, day } = await ruleWithHistory();
    const before = await slotsOf(doctorId);
    expect(before.map((s) => [s.status, s.version])).toEqual([["available", 1], ["booked", 2], ["available", 1]]);
    const since = await lastEventId();

    const edited = await call(app, admin, "PATCH", `/availability-rules/${ruleId}`, { note: "Bring the referral letter", tags: ["gp"] });
    expect(edited.status).toBe(200);
    const body = availabilityRuleWriteReplySchema.parse(edited.body);
    expect(body.rule).toMatchObject({ note: "Bring the referral letter", tags: ["gp"] });
    expect(body.materialisation).toEqual({ created: 0, kept: 2, removed: 0, conflicts: [] });

    const after = await slotsOf(doctorId);
    // The 09:30 slot the bulk delete removed is not laid again; nobody's id or version moves.
    expect(after.map((s) => [s.id, s.status, s.version])).toEqual(before.map((s) => [s.id, s.status, s.version]));
    expect(after.map((s) => [s.note, s.tags])).toEqual([
      ["Bring the referral letter", ["gp"]],
      ["first note", []],
      ["Bring the referral letter", ["gp"]],
    ]);
    expect(await eventsSince(since)).toEqual([
      [
        "slots.annotated",
        {
          ruleId,
          doctorId,
          clinicId,
          from: at(day, "09:00").toISOString(),
          to: at(day, "11:00").toISOString(),
          count: 2,
          tags: ["gp"],
          note: "Bring the referral letter",
        },
      ],
    ]);
    const [audit] = await query<{ before: { note: string }; after: { note: string; materialisation: unknown } }>(
      app,
      `select before, after from audit_event where action = 'schedule.rule.update' and entity_id = ?`,
      [ruleId],
    );
    expect(audit).toMatchObject({ before: { note: "first note" }, after: { note: "Bring the referral letter", materialisation: { kept: 2, conflicts: 0 } } });
  });

  it("a colour edit writes no slot row and records no slot event; the same note again neither", async () => {
    const { doctorId, ruleId } = await ruleWithHistory();
    const before = await slotsOf(doctorId);
    const since = await lastEventId();

    const recoloured = await call(app, admin, "PATCH", `/availability-rules/${ruleId}`, { colour: "#aa0000", note: "first note" });
    expect(recoloured.status).toBe(200);
    expect(recoloured.body.rule.colour).toBe("#aa0000");
    expect(recoloured.body.materialisation).toEqual({ created: 0, kept: 2, removed: 0, conflicts: [] });
    expect(await slotsOf(doctorId)).toEqual(before);
    expect(await eventsSince(since)).toEqual([]);
    expect(await count(app, `select count(*) n from audit_event where action = 'schedule.rule.update' and entity_id = ?`, [ruleId])).toBe(1);
  });

  it("an edit of the hours still materialises: the bulk-deleted interval is laid again", async () => {
    const { doctorId, ruleId } = await ruleWithHistory();
    const edited = await call(app, admin, "PATCH", `/availability-rules/${ruleId}`, { endTime: "11:30" });
    expect(edited.status).toBe(200);
    expect(edited.body.materialisation).toEqual({ created: 2, kept: 2, removed: 0, conflicts: [] });
    expect((await slotsOf(doctorId)).map((s) => [s.status, s.version])).toEqual([
      ["available", 1],
      ["available", 1],
      ["booked", 2],
      ["available", 1],
      ["available", 1],
    ]);
  });
});
