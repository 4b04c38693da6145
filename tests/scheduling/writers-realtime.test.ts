/**
 * Every scheduling writer publishes its slot changes after commit: rules (create, edit, delete),
 * templates, clones, overbooking, bulk operations and imports. A patient watching `slots:{doctorId}`
 * and staff watching `clinic:{clinicId}` / `doctor:{doctorId}` see each change with the slot's new
 * status and version, with consecutive sequence numbers; dry runs publish nothing; walk-in slots
 * never reach the public topic.
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import type { Socket } from "socket.io-client";
import { afterAll, describe, expect, it } from "vitest";
import { addDays, type EventEnvelope } from "@clinic/shared";
import { Slot } from "../../server/src/modules/scheduling/slot.entity";
import { listen, seqOf, settle, subscribe, useApp } from "../support/harness";
import { buildAppointment, buildClinic, buildClinicService, buildPerson, buildSlots, type TestPerson } from "../support/factories";
import { call } from "../support/api";
import { query } from "../support/db";
import { at, dayFromNow } from "../support/dates";
import type { SlotChange } from "../../server/src/modules/scheduling/slot.store";

type SlotData = SlotChange;
type Event = EventEnvelope<SlotData>;
/** [type, start (HH:MM local), status, version] — what each event must say. */
type Expected = [type: string, time: string, status: string, version: number];

const hhmm = (iso: string) => new Intl.DateTimeFormat("en-GB", { timeZone: "Europe/London", hour: "2-digit", minute: "2-digit" }).format(new Date(iso));

describe("scheduling writers, live", () => {
  const app = useApp();
  const sockets: Socket[] = [];

  afterAll(async () => {
    for (const socket of sockets) socket.disconnect();
  });

  /**
   * A clinic (Europe/London) with its admin, a doctor working there, and three watchers: a patient on
   * `slots:{doctorId}`, a receptionist on `clinic:{clinicId}` and the doctor on `doctor:{doctorId}`.
   */
  async function scene() {
    const clinicId = (await buildClinic(app)).id;
    const admin = await buildPerson(app, "clinic_admin", { clinicIds: [clinicId] });
    const reception = await buildPerson(app, "receptionist", { clinicIds: [clinicId] });
    const doctor = await buildPerson(app, "doctor", { clinicIds: [clinicId] });
    const patient = await buildPerson(app, "patient");
    const doctorId = doctor.doctorId!;
    const topics = { slots: `slots:${doctorId}`, clinic: `clinic:${clinicId}`, doctor: `doctor:${doctorId}` };
    const publicView = await listen(app, patient.token, sockets);
    const staffView = await listen(app, reception.token, sockets);
    const doctorView = await listen(app, doctor.token, sockets);
    const acks = {
      slots: await subscribe(publicView.socket, topics.slots),
      clinic: await subscribe(staffView.socket, topics.clinic),
      doctor: await subscribe(doctorView.socket, topics.doctor),
    };
    for (const ack of Object.values(acks)) expect(ack.ok).toBe(true);
    const seqs = {
      slots: (acks.slots as { seq: number }).seq,
      clinic: (acks.clinic as { seq: number }).seq,
      doctor: (acks.doctor as { seq: number }).seq,
    };
    const views = { slots: publicView, clinic: staffView, doctor: doctorView };
    /** Events of `topic` received after the ack. */
    const seen = (topic: keyof typeof topics) => views[topic].of(topics[topic]) as Event[];
    /** Published so far on `topic` since the ack (Redis' counter: the route publishes before replying). */
    const published = async (topic: keyof typeof topics) => (await seqOf(app, topics[topic])) - seqs[topic];
    /**
     * Waits for exactly `expected.length` events on `topic` after `from` and checks them: type, local
     * start, status, version, the payload's ids, and consecutive seq numbers right after the ack.
     */
    async function expectEvents(topic: keyof typeof topics, from: number, expected: Expected[]): Promise<Event[]> {
      await settle(() => seen(topic).length >= from + expected.length);
      expect(await published(topic)).toBe(from + expected.length);
      const events = seen(topic).slice(from);
      expect(events.map((e) => [e.type, hhmm(e.data.start), e.data.status, e.data.version])).toEqual(expected);
      expect(events.map((e) => e.seq)).toEqual(expected.map((_, i) => seqs[topic] + from + i + 1));
      for (const event of events) {
        expect(event.topic).toBe(topics[topic]);
        expect(event.data).toMatchObject({ doctorId, clinicId, cause: event.type.slice("slot.".length), holdExpiresAt: null });
      }
      return events;
    }
    return { clinicId, doctorId, admin, reception, doctor, topics, seen, published, expectEvents };
  }

  /** A rule laying 30-minute slots on one day. */
  const oneDayRule = (clinicId: string, day: string, startTime: string, endTime: string) => ({
    clinicId,
    recurrence: { freq: "daily", interval: 1, weekdays: [] },
    validFrom: day,
    validUntil: day,
    startTime,
    endTime,
    slotMinutes: 30,
  });
  const ids = (events: Event[]) => events.map((e) => e.data.slotId);
  const rowsOf = (doctorId: string) =>
    query<{ id: string; starts_at: Date; status: string; version: number; kind: string }>(
      app,
      `select id, starts_at, status, version, kind from slot where doctor_id = ? order by starts_at`,
      [doctorId],
    );

  it("creating a rule publishes slot.created (available, version 1) for every slot it materialises, to all three topics", async () => {
    const s = await scene();
    const day = dayFromNow(3);
    const created = await call(app, s.admin, "POST", `/doctors/${s.doctorId}/availability-rules`, oneDayRule(s.clinicId, day, "09:00", "10:30"));
    expect(created.status).toBe(201);
    expect(created.body.materialisation.created).toBe(3);
    const expected: Expected[] = ["09:00", "09:30", "10:00"].map((t) => ["slot.created", t, "available", 1]);
    const rows = await rowsOf(s.doctorId);
    for (const topic of ["slots", "clinic", "doctor"] as const) {
      const events = await s.expectEvents(topic, 0, expected);
      expect(ids(events)).toEqual(rows.map((r) => r.id));
      expect(events.every((e) => e.data.kind === "regular")).toBe(true);
    }
    // The reply is still the plain contract (the changes are not leaked into it).
    expect(Object.keys(created.body).sort()).toEqual(["materialisation", "rule"]);
  });

  it("editing a rule publishes removed (status deleted, version + 1), expired, updated and created, in that order", async () => {
    const s = await scene();
    const patient = await buildPerson(app, "patient");
    const day = dayFromNow(4);
    const created = await call(app, s.admin, "POST", `/doctors/${s.doctorId}/availability-rules`, oneDayRule(s.clinicId, day, "09:00", "11:00"));
    expect(created.status).toBe(201);
    await s.expectEvents("slots", 0, ["09:00", "09:30", "10:00", "10:30"].map((t): Expected => ["slot.created", t, "available", 1]));
    const before = await rowsOf(s.doctorId);
    // A cancelled appointment points at the 10:00 slot: history, so the edit expires it instead of deleting it.
    const em = app.runtime.orm.em.fork() as EntityManager;
    const ten = await em.findOneOrFail(Slot, before[2]!.id);
    await buildAppointment(app, { slot: ten, patientId: patient.patientId!, status: "cancelled" });

    const edited = await call(app, s.admin, "PATCH", `/availability-rules/${created.body.rule.id}`, {
      startTime: "08:00",
      endTime: "10:00",
      serviceId: await buildClinicService(app, s.clinicId, 30),
    });
    expect(edited.status).toBe(200);
    expect(edited.body.materialisation).toMatchObject({ created: 2, kept: 2, removed: 2 });
    const expected: Expected[] = [
      ["slot.expired", "10:00", "expired", 2],
      ["slot.removed", "10:30", "deleted", 2],
      ["slot.updated", "09:00", "available", 2],
      ["slot.updated", "09:30", "available", 2],
      ["slot.created", "08:00", "available", 1],
      ["slot.created", "08:30", "available", 1],
    ];
    const events = await s.expectEvents("slots", 4, expected);
    await s.expectEvents("clinic", 4, expected);
    // Every event matches the row as committed (the deleted one is gone).
    const after = new Map((await rowsOf(s.doctorId)).map((r) => [r.id, r]));
    expect(after.has(before[3]!.id)).toBe(false);
    expect(events[1]!.data.slotId).toBe(before[3]!.id);
    for (const event of events.filter((e) => e.data.status !== "deleted")) {
      expect(after.get(event.data.slotId)).toMatchObject({ status: event.data.status, version: event.data.version });
    }
    expect(ids(events.slice(0, 4))).toEqual([before[2]!.id, before[3]!.id, before[0]!.id, before[1]!.id]);
  });

  it("a rule edit that makes regular slots walk-in tells slots: once (kind walk_in), then keeps them off it", async () => {
    const s = await scene();
    const day = dayFromNow(5);
    const created = await call(app, s.admin, "POST", `/doctors/${s.doctorId}/availability-rules`, oneDayRule(s.clinicId, day, "09:00", "10:00"));
    expect(created.status).toBe(201);
    await s.expectEvents("slots", 0, ["09:00", "09:30"].map((t): Expected => ["slot.created", t, "available", 1]));
    const toWalkIn = await call(app, s.admin, "PATCH", `/availability-rules/${created.body.rule.id}`, { kind: "walk_in" });
    expect(toWalkIn.status).toBe(200);
    const leaving = await s.expectEvents("slots", 2, ["09:00", "09:30"].map((t): Expected => ["slot.updated", t, "available", 2]));
    expect(leaving.map((e) => [e.data.kind, e.data.previousKind])).toEqual([
      ["walk_in", "regular"],
      ["walk_in", "regular"],
    ]);
    // Now walk-in: a further edit reaches staff only.
    const service = await buildClinicService(app, s.clinicId, 30);
    expect((await call(app, s.admin, "PATCH", `/availability-rules/${created.body.rule.id}`, { serviceId: service })).status).toBe(200);
    await s.expectEvents("clinic", 4, ["09:00", "09:30"].map((t): Expected => ["slot.updated", t, "available", 3]));
    expect(await s.published("slots")).toBe(4);
  });

  it("a rule edit of the note or tags alone publishes nothing on slots:, one slots.annotated on each staff topic, and keeps the versions", async () => {
    const s = await scene();
    const day = dayFromNow(6);
    const created = await call(app, s.admin, "POST", `/doctors/${s.doctorId}/availability-rules`, oneDayRule(s.clinicId, day, "09:00", "11:00"));
    expect(created.status).toBe(201);
    const laid = ["09:00", "09:30", "10:00", "10:30"];
    for (const topic of ["slots", "clinic", "doctor"] as const) await s.expectEvents(topic, 0, laid.map((t): Expected => ["slot.created", t, "available", 1]));

    const edited = await call(app, s.admin, "PATCH", `/availability-rules/${created.body.rule.id}`, { note: "Bring the referral letter", tags: ["gp", "a, \"quoted\" tag"] });
    expect(edited.status).toBe(200);
    expect(edited.body.materialisation).toMatchObject({ created: 0, kept: 4, removed: 0 });
    const rows = await query<{ version: number; note: string | null; tags: string[] }>(app, `select version, note, tags from slot where doctor_id = ? order by starts_at`, [s.doctorId]);
    expect(rows).toEqual(laid.map(() => ({ version: 1, note: "Bring the referral letter", tags: ["gp", 'a, "quoted" tag'] })));
    for (const topic of ["clinic", "doctor"] as const) {
      await settle(() => s.seen(topic).length >= 5);
      expect(await s.published(topic)).toBe(5);
      const summary = (s.seen(topic) as EventEnvelope[])[4]!;
      expect(summary).toMatchObject({ type: "slots.annotated", topic: s.topics[topic] });
      expect(summary.data).toEqual({
        ruleId: created.body.rule.id,
        doctorId: s.doctorId,
        clinicId: s.clinicId,
        from: at(day, "09:00").toISOString(),
        to: at(day, "11:00").toISOString(),
        count: 4,
        tags: ["gp", 'a, "quoted" tag'],
        note: "Bring the referral letter",
      });
    }
    expect(await s.published("slots")).toBe(4);

    // A service change is the slots' public view: every kept slot, to every topic, with a new version.
    const service = await buildClinicService(app, s.clinicId, 30);
    expect((await call(app, s.admin, "PATCH", `/availability-rules/${created.body.rule.id}`, { serviceId: service, note: null })).status).toBe(200);
    await s.expectEvents("slots", 4, laid.map((t): Expected => ["slot.updated", t, "available", 2]));
    expect(await query(app, `select distinct service_id, note from slot where doctor_id = ?`, [s.doctorId])).toEqual([{ service_id: service, note: null }]);
  });

  it("deleting a rule publishes slot.removed for its free slots and nothing for a booked one it leaves in place", async () => {
    const s = await scene();
    const day = dayFromNow(5);
    const created = await call(app, s.admin, "POST", `/doctors/${s.doctorId}/availability-rules`, oneDayRule(s.clinicId, day, "14:00", "15:30"));
    expect(created.status).toBe(201);
    await s.expectEvents("clinic", 0, ["14:00", "14:30", "15:00"].map((t): Expected => ["slot.created", t, "available", 1]));
    const rows = await rowsOf(s.doctorId);
    await query(app, `update slot set status = 'booked', version = version + 1 where id = ?`, [rows[1]!.id]);

    const deleted = await call(app, s.admin, "DELETE", `/availability-rules/${created.body.rule.id}`);
    expect(deleted.status).toBe(200);
    expect(deleted.body.materialisation).toMatchObject({ removed: 2, conflicts: [{ slotId: rows[1]!.id, reason: "rule_deleted" }] });
    const expected: Expected[] = [
      ["slot.removed", "14:00", "deleted", 2],
      ["slot.removed", "15:00", "deleted", 2],
    ];
    expect(ids(await s.expectEvents("slots", 3, expected))).toEqual([rows[0]!.id, rows[2]!.id]);
    await s.expectEvents("doctor", 3, expected);
  });

  it("applying a template publishes slot.created for every slot of every rule; walk-in slots reach staff topics only", async () => {
    const s = await scene();
    const saved = await call(app, s.admin, "POST", `/clinics/${s.clinicId}/templates`, {
      name: "Day",
      span: "day",
      entries: [
        { dayOffset: 0, startTime: "13:00", endTime: "14:00", slotMinutes: 30, kind: "walk_in" },
        { dayOffset: 0, startTime: "09:00", endTime: "10:00", slotMinutes: 30 },
      ],
    });
    expect(saved.status).toBe(201);
    const day = dayFromNow(6);
    const applied = await call(app, s.admin, "POST", `/templates/${saved.body.id}/apply`, { doctorId: s.doctorId, from: day, to: day });
    expect(applied.status).toBe(201);
    expect(applied.body.materialisation.created).toBe(4);
    await s.expectEvents("slots", 0, [
      ["slot.created", "09:00", "available", 1],
      ["slot.created", "09:30", "available", 1],
    ]);
    const staff = await s.expectEvents("clinic", 0, [
      ["slot.created", "09:00", "available", 1],
      ["slot.created", "09:30", "available", 1],
      ["slot.created", "13:00", "available", 1],
      ["slot.created", "13:30", "available", 1],
    ]);
    expect(staff.map((e) => e.data.kind)).toEqual(["regular", "regular", "walk_in", "walk_in"]);
    await s.expectEvents("doctor", 0, staff.map((e): Expected => [e.type, hhmm(e.data.start), e.data.status, e.data.version]));
    expect(s.seen("slots").some((e) => e.data.kind !== "regular")).toBe(false);
  });

  it("cloning publishes slot.created for every copy, with the copy's status (a blocked source stays blocked)", async () => {
    const s = await scene();
    const source = dayFromNow(2);
    await buildSlots(app, { doctorId: s.doctorId, clinicId: s.clinicId, date: source, from: "11:00", count: 3, minutes: 20, status: (i) => (i === 1 ? "blocked" : "available") });
    const target = addDays(source, 7);
    const cloned = await call(app, s.admin, "POST", `/doctors/${s.doctorId}/slots/clone`, {
      clinicId: s.clinicId,
      sourceFrom: source,
      sourceTo: source,
      targetStarts: [target],
    });
    expect(cloned.status).toBe(201);
    expect(cloned.body.created).toHaveLength(3);
    const events = await s.expectEvents("slots", 0, [
      ["slot.created", "11:00", "available", 1],
      ["slot.created", "11:20", "blocked", 1],
      ["slot.created", "11:40", "available", 1],
    ]);
    expect(ids(events)).toEqual(cloned.body.created.map((slot: { id: string }) => slot.id));
    expect(events.map((e) => e.data.start)).toEqual(["11:00", "11:20", "11:40"].map((t) => at(target, t).toISOString()));
  });

  it("an overbook publishes slot.created for the overbooked slot", async () => {
    const s = await scene();
    const policy = await call(app, s.admin, "POST", `/clinics/${s.clinicId}/overbooking-policies`, { doctorId: s.doctorId, capPerDay: 2, reason: "Busy Mondays" });
    expect(policy.status).toBe(201);
    const day = dayFromNow(3);
    const slot = await call(app, s.reception, "POST", `/doctors/${s.doctorId}/slots/overbook`, {
      clinicId: s.clinicId,
      startsAt: at(day, "10:00").toISOString(),
      endsAt: at(day, "10:15").toISOString(),
      reason: "Urgent follow-up",
    });
    expect(slot.status).toBe(201);
    const [event] = await s.expectEvents("slots", 0, [["slot.created", "10:00", "available", 1]]);
    expect(event!.data).toMatchObject({ slotId: slot.body.id, kind: "regular", end: at(day, "10:15").toISOString() });
    await s.expectEvents("clinic", 0, [["slot.created", "10:00", "available", 1]]);
  });

  it("bulk block, resize and delete publish blocked, removed + created, and deleted; their dry runs publish nothing", async () => {
    const s = await scene();
    const bulk = (person: TestPerson, body: Record<string, unknown>) => call(app, person, "POST", `/doctors/${s.doctorId}/slots/bulk`, { clinicId: s.clinicId, ...body });
    const range = (day: string) => ({ from: at(day, "00:00").toISOString(), to: at(addDays(day, 1), "00:00").toISOString() });

    // block: two free slots, one walk-in among them (staff topics only).
    const blockDay = dayFromNow(8);
    await buildSlots(app, { doctorId: s.doctorId, clinicId: s.clinicId, date: blockDay, from: "09:00", count: 1, minutes: 30 });
    await buildSlots(app, { doctorId: s.doctorId, clinicId: s.clinicId, date: blockDay, from: "09:30", count: 1, minutes: 30, kind: "walk_in" });
    const dryBlock = await bulk(s.reception, { ...range(blockDay), action: "block", reason: "Training", dryRun: true });
    expect(dryBlock.status).toBe(200);
    expect(dryBlock.body.changed.blocked).toHaveLength(2);
    expect(await s.published("slots")).toBe(0);
    expect(await s.published("clinic")).toBe(0);
    expect((await bulk(s.reception, { ...range(blockDay), action: "block", reason: "Training" })).status).toBe(200);
    await s.expectEvents("slots", 0, [["slot.blocked", "09:00", "blocked", 2]]);
    const blocked = await s.expectEvents("clinic", 0, [
      ["slot.blocked", "09:00", "blocked", 2],
      ["slot.blocked", "09:30", "blocked", 2],
    ]);
    expect(blocked.map((e) => e.data.kind)).toEqual(["regular", "walk_in"]);

    // resize: four 15-minute slots become two 30-minute ones.
    const resizeDay = dayFromNow(9);
    const old = await buildSlots(app, { doctorId: s.doctorId, clinicId: s.clinicId, date: resizeDay, from: "10:00", count: 4, minutes: 15 });
    const dryResize = await bulk(s.admin, { ...range(resizeDay), action: "resize", newMinutes: 30, dryRun: true });
    expect(dryResize.body.changed.created).toHaveLength(2);
    expect(await s.published("slots")).toBe(1);
    const resized = await bulk(s.admin, { ...range(resizeDay), action: "resize", newMinutes: 30 });
    expect(resized.status).toBe(200);
    const events = await s.expectEvents("slots", 1, [
      ["slot.removed", "10:00", "deleted", 2],
      ["slot.removed", "10:15", "deleted", 2],
      ["slot.removed", "10:30", "deleted", 2],
      ["slot.removed", "10:45", "deleted", 2],
      ["slot.created", "10:00", "available", 1],
      ["slot.created", "10:30", "available", 1],
    ]);
    expect(ids(events.slice(0, 4))).toEqual(old.map((slot) => slot.id));
    expect(ids(events.slice(4))).toEqual(resized.body.changed.created.map((slot: { id: string }) => slot.id));
    expect(events[4]!.data.end).toBe(at(resizeDay, "10:30").toISOString());

    // delete: the two new slots.
    const dryDelete = await bulk(s.admin, { ...range(resizeDay), action: "delete", dryRun: true });
    expect(dryDelete.body.changed.deleted).toHaveLength(2);
    expect(await s.published("slots")).toBe(7);
    expect((await bulk(s.admin, { ...range(resizeDay), action: "delete" })).status).toBe(200);
    const gone = await s.expectEvents("slots", 7, [
      ["slot.deleted", "10:00", "deleted", 2],
      ["slot.deleted", "10:30", "deleted", 2],
    ]);
    expect(ids(gone)).toEqual(ids(events.slice(4)));
    expect((await rowsOf(s.doctorId)).filter((r) => new Date(r.starts_at) >= at(resizeDay, "00:00"))).toEqual([]);
    // Staff saw everything the public did, plus the walk-in block.
    await s.expectEvents("clinic", 2, [...events, ...gone].map((e): Expected => [e.type, hhmm(e.data.start), e.data.status, e.data.version]));
  });

  it("an import publishes slot.created for every imported slot; walk-in rows reach staff topics only", async () => {
    const s = await scene();
    const day = dayFromNow(10);
    const csv = ["date,start,end,kind,tags", `${day},09:00,09:30,regular,`, `${day},09:30,10:00,walk_in,triage`, `${day},10:00,10:30,,`].join("\n");
    const response = await fetch(`${app.url}/api/v1/doctors/${s.doctorId}/slots/import?clinicId=${s.clinicId}&format=csv`, {
      method: "POST",
      headers: { ...s.admin.headers, "content-type": "text/csv" },
      body: csv,
    });
    expect(response.status).toBe(200);
    const imported = (await response.json()) as { imported: number; slots: { id: string; kind: string }[] };
    expect(imported.imported).toBe(3);
    const publicEvents = await s.expectEvents("slots", 0, [
      ["slot.created", "09:00", "available", 1],
      ["slot.created", "10:00", "available", 1],
    ]);
    const staffEvents = await s.expectEvents("clinic", 0, [
      ["slot.created", "09:00", "available", 1],
      ["slot.created", "09:30", "available", 1],
      ["slot.created", "10:00", "available", 1],
    ]);
    await s.expectEvents("doctor", 0, staffEvents.map((e): Expected => [e.type, hhmm(e.data.start), e.data.status, e.data.version]));
    expect(staffEvents.map((e) => e.data.kind)).toEqual(["regular", "walk_in", "regular"]);
    expect(ids(staffEvents).sort()).toEqual(imported.slots.map((slot) => slot.id).sort());
    expect(ids(publicEvents)).toEqual(ids(staffEvents.filter((e) => e.data.kind === "regular")));

    // A refused import (all or nothing) publishes nothing.
    const refused = await fetch(`${app.url}/api/v1/doctors/${s.doctorId}/slots/import?clinicId=${s.clinicId}&format=csv`, {
      method: "POST",
      headers: { ...s.admin.headers, "content-type": "text/csv" },
      body: ["date,start,end", `${day},11:00,11:30`, `${day},09:00,09:30`].join("\n"),
    });
    expect(refused.status).toBe(422);
    expect(await s.published("slots")).toBe(2);
    expect(await s.published("clinic")).toBe(3);
  });

  it("a failing publish does not fail the write: the slots are committed and the reply is sent", async () => {
    const s = await scene();
    const events = app.runtime.events;
    const publish = events.publish.bind(events);
    const publishAll = events.publishAll.bind(events);
    let attempts = 0;
    // As the booking module's flaky-publisher test: every publish rejects, as when Redis is down.
    events.publish = () => {
      attempts++;
      return Promise.reject(new Error("redis down"));
    };
    events.publishAll = (messages) => {
      attempts += messages.length;
      return Promise.reject(new Error("redis down"));
    };
    try {
      const day = dayFromNow(11);
      const created = await call(app, s.admin, "POST", `/doctors/${s.doctorId}/availability-rules`, oneDayRule(s.clinicId, day, "09:00", "10:00"));
      expect(created.status).toBe(201);
      expect(created.body.materialisation.created).toBe(2);
    } finally {
      events.publish = publish;
      events.publishAll = publishAll;
    }
    // Two slots × three topics were attempted; nothing went out, the rows are there.
    expect(attempts).toBe(6);
    expect(await s.published("slots")).toBe(0);
    expect((await rowsOf(s.doctorId)).map((r) => [r.status, r.version])).toEqual([
      ["available", 1],
      ["available", 1],
    ]);
  });
});
