/**
 * A rule edit that changes nothing its slots are made of (note, tags, colour): no materialisation.
 * The edit commits the rule, its audit row and a `rule.annotated` event and replies; the
 * `rule-annotations` subscriber then writes the rule's current note and tags onto its future free
 * slots in chunks and records one `slots.annotated`. No slot is created, removed or re-versioned, a
 * slot a bulk delete removed stays removed, held and booked slots keep their own note; two quick edits
 * and a redelivery end on the latest note; a chunk that fails (a row lock past its lock_timeout) is
 * retried by the outbox and the rest written. Replies are sent as in production (`settleEvents:
 * false`): each test waits for the outbox to go idle before reading the slots.
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import { describe, expect, it } from "vitest";
import { availabilityRuleWriteReplySchema } from "@clinic/shared";
import { ANNOTATION_CHUNK } from "../../server/src/modules/scheduling/rule-annotations";
import { useTestApp } from "../support/harness";
import { buildClinic, buildDoctor, buildPerson, type TestPerson } from "../support/factories";
import { call } from "../support/api";
import { count, fork, query } from "../support/db";
import { at, dayFromNow } from "../support/dates";

interface SlotState {
  id: string;
  version: number;
  status: string;
  note: string | null;
  tags: string[];
  updated_at: Date;
}

interface EventRow {
  id: string;
  name: string;
  data: Record<string, unknown>;
  delivered: boolean;
  attempts: number;
  pending: string[] | null;
  last_error: string | null;
}

describe("availability rule edits of internal fields", () => {
  const app = useTestApp({ settleEvents: false, env: { RATE_LIMIT_MAX: "100000" } });
  let clinicId: string;
  let admin: TestPerson;

  const setUp = async () => {
    if (clinicId) return;
    clinicId = (await buildClinic(app)).id;
    admin = await buildPerson(app, "clinic_admin", { clinicIds: [clinicId] });
  };

  const slotsOf = (doctorId: string) =>
    query<SlotState>(app, `select id, version, status, note, tags, updated_at from slot where doctor_id = ? order by starts_at`, [doctorId]);
  const eventRowsSince = (id: number) =>
    query<EventRow>(
      app,
      `select id, name, data, delivered_at is not null as delivered, attempts, pending, last_error from domain_event where id > ? order by id`,
      [id],
    );
  const eventsSince = async (id: number) => (await eventRowsSince(id)).map((e) => [e.name, e.data]);
  const lastEventId = async () => count(app, `select coalesce(max(id), 0) n from domain_event`);
  const idle = () => app.runtime.outbox.idle();
  const edit = (ruleId: string, body: Record<string, unknown>) => call(app, admin, "PATCH", `/availability-rules/${ruleId}`, body);

  async function createRule(doctorId: string, body: Record<string, unknown>): Promise<string> {
    const created = await call(app, admin, "POST", `/doctors/${doctorId}/availability-rules`, {
      clinicId,
      recurrence: { freq: "daily", interval: 1, weekdays: [] },
      note: "first note",
      ...body,
    });
    expect(created.status).toBe(201);
    return availabilityRuleWriteReplySchema.parse(created.body).rule.id;
  }

  /** A one-day rule of four 30-minute slots (09:00–11:00); the 09:30 slot bulk-deleted, the 10:00 one booked. */
  async function ruleWithHistory() {
    await setUp();
    const doctor = await buildDoctor(app, [clinicId]);
    const day = dayFromNow(6);
    const ruleId = await createRule(doctor.doctorId, { validFrom: day, validUntil: day, startTime: "09:00", endTime: "11:00", slotMinutes: 30 });
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
    await idle();
    return { doctorId: doctor.doctorId, ruleId, day };
  }

  /** A rule laying more free slots than one chunk writes: 12 days of 32 quarter-hours (384 slots). */
  async function longRule() {
    await setUp();
    const doctor = await buildDoctor(app, [clinicId]);
    const [first, last] = [dayFromNow(2), dayFromNow(13)];
    const ruleId = await createRule(doctor.doctorId, { validFrom: first, validUntil: last, startTime: "09:00", endTime: "17:00", slotMinutes: 15 });
    await idle();
    const slots = await slotsOf(doctor.doctorId);
    expect(slots.length).toBe(384);
    expect(slots.length).toBeGreaterThan(ANNOTATION_CHUNK);
    return { doctorId: doctor.doctorId, ruleId, slots, from: at(first, "09:00").toISOString(), to: at(last, "17:00").toISOString() };
  }

  it("a note and tags edit writes them onto the free slots only, with their ids and versions unchanged, and recreates nothing", async () => {
    const { doctorId, ruleId, day } = await ruleWithHistory();
    const before = await slotsOf(doctorId);
    expect(before.map((s) => [s.status, s.version])).toEqual([["available", 1], ["booked", 2], ["available", 1]]);
    const since = await lastEventId();

    const edited = await edit(ruleId, { note: "Bring the referral letter", tags: ["gp"] });
    expect(edited.status).toBe(200);
    const body = availabilityRuleWriteReplySchema.parse(edited.body);
    expect(body.rule).toMatchObject({ note: "Bring the referral letter", tags: ["gp"] });
    expect(body.materialisation).toEqual({ created: 0, kept: 2, removed: 0, conflicts: [] });

    await idle();
    const after = await slotsOf(doctorId);
    // The 09:30 slot the bulk delete removed is not laid again; nobody's id or version moves.
    expect(after.map((s) => [s.id, s.status, s.version])).toEqual(before.map((s) => [s.id, s.status, s.version]));
    expect(after.map((s) => [s.note, s.tags])).toEqual([
      ["Bring the referral letter", ["gp"]],
      ["first note", []],
      ["Bring the referral letter", ["gp"]],
    ]);
    expect(await eventsSince(since)).toEqual([
      ["rule.annotated", { ruleId }],
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
    expect((await eventRowsSince(since)).every((e) => e.delivered && e.attempts === 0)).toBe(true);
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

    const recoloured = await edit(ruleId, { colour: "#aa0000", note: "first note" });
    expect(recoloured.status).toBe(200);
    expect(recoloured.body.rule.colour).toBe("#aa0000");
    expect(recoloured.body.materialisation).toEqual({ created: 0, kept: 2, removed: 0, conflicts: [] });
    await idle();
    expect(await slotsOf(doctorId)).toEqual(before);
    expect(await eventsSince(since)).toEqual([]);
    expect(await count(app, `select count(*) n from audit_event where action = 'schedule.rule.update' and entity_id = ?`, [ruleId])).toBe(1);
  });

  it("an edit of the hours still materialises: the bulk-deleted interval is laid again", async () => {
    const { doctorId, ruleId } = await ruleWithHistory();
    const edited = await edit(ruleId, { endTime: "11:30" });
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

  it("writes a long rule's note in chunks: every future free slot carries it, versions unchanged, one slots.annotated", async () => {
    const { doctorId, ruleId, slots, from, to } = await longRule();
    const since = await lastEventId();

    expect((await edit(ruleId, { note: "Fasting bloods", tags: ["lab"] })).status).toBe(200);
    await idle();

    const after = await slotsOf(doctorId);
    expect(after.map((s) => [s.id, s.version])).toEqual(slots.map((s) => [s.id, 1]));
    expect(after.every((s) => s.note === "Fasting bloods" && s.tags.join() === "lab")).toBe(true);
    const events = await eventRowsSince(since);
    expect(events.map((e) => [e.name, e.delivered])).toEqual([["rule.annotated", true], ["slots.annotated", true]]);
    expect(events[1]!.data).toEqual({ ruleId, doctorId, clinicId, from, to, count: 384, tags: ["lab"], note: "Fasting bloods" });
  });

  it("two edits back to back end on the second note, and a late redelivery of the first does not bring it back", async () => {
    const { doctorId, ruleId, slots } = await longRule();
    const since = await lastEventId();

    expect((await edit(ruleId, { note: "first edit" })).status).toBe(200);
    expect((await edit(ruleId, { note: "second edit" })).status).toBe(200);
    await idle();

    const converged = await slotsOf(doctorId);
    expect(converged.map((s) => [s.id, s.version, s.note])).toEqual(slots.map((s) => [s.id, 1, "second edit"]));
    const events = await eventRowsSince(since);
    expect(events.filter((e) => e.name === "rule.annotated")).toHaveLength(2);
    // However the two deliveries fell, what staff were told last is the second note.
    expect(events.filter((e) => e.name === "slots.annotated").at(-1)!.data).toMatchObject({ note: "second edit" });
    expect(events.every((e) => e.delivered)).toBe(true);

    // The first edit's event delivered again (another node's sweep after a lost lease): it writes the rule's note as it is now.
    const [firstEdit] = events.filter((e) => e.name === "rule.annotated");
    await query(app, `update domain_event set delivered_at = null, pending = null, lease_until = null where id = ?`, [firstEdit!.id]);
    const beforeRedelivery = await lastEventId();
    expect(await app.runtime.outbox.sweep()).toBeGreaterThanOrEqual(1);
    await idle();
    expect(await slotsOf(doctorId)).toEqual(converged);
    expect(await eventsSince(beforeRedelivery)).toEqual([]);
  });

  it("a chunk held up by a row lock past its lock_timeout fails, is retried by the outbox, and the rest is written", async () => {
    const { doctorId, ruleId, slots, from, to } = await longRule();
    const since = await lastEventId();
    // Another transaction holds the last slot (in the second chunk) while the subscriber runs.
    const holder = fork(app) as EntityManager;
    await holder.begin();
    try {
      await holder.execute(`select id from slot where id = ? for update`, [slots.at(-1)!.id]);
      expect((await edit(ruleId, { note: "After the lock" })).status).toBe(200);
      await idle();
    } finally {
      await holder.commit();
    }

    const [ruleEvent, ...rest] = await eventRowsSince(since);
    expect(rest).toEqual([]);
    expect(ruleEvent).toMatchObject({ name: "rule.annotated", delivered: false, attempts: 1, pending: ["rule-annotations"] });
    expect(ruleEvent!.last_error).toMatch(/lock timeout/);
    // The first chunk committed; the second rolled back.
    expect((await slotsOf(doctorId)).filter((s) => s.note === "After the lock")).toHaveLength(ANNOTATION_CHUNK);

    // The retry (its back-off brought forward, as the sweep would take it): the remaining slots, then the summary.
    await query(app, `update domain_event set next_attempt_at = now() where id = ?`, [ruleEvent!.id]);
    expect(await app.runtime.outbox.sweep()).toBeGreaterThanOrEqual(1);
    await idle();
    const after = await slotsOf(doctorId);
    expect(after.map((s) => [s.id, s.version, s.note])).toEqual(slots.map((s) => [s.id, 1, "After the lock"]));
    const events = await eventRowsSince(since);
    expect(events.map((e) => [e.name, e.delivered])).toEqual([["rule.annotated", true], ["slots.annotated", true]]);
    // The summary spans every free slot that carries the note; `count` is what the retry wrote.
    expect(events[1]!.data).toEqual({ ruleId, doctorId, clinicId, from, to, count: slots.length - ANNOTATION_CHUNK, tags: [], note: "After the lock" });
  });
});
