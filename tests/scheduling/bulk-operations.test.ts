/**
 * Bulk slot operations: resize (re-lay free runs), delete and block, each one transaction, with a
 * dry run that reports exactly what the real run then does.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { bulkSlotsResultSchema, problemSchema, type BulkSlotsResult } from "@clinic/shared";
import { readJson, useApp } from "../support/harness";
import { buildClinic, buildPerson, buildSlots, type TestPerson } from "../support/factories";
import { caller } from "../support/api";
import { overlappingSlotPairs, query, slotsOf } from "../support/db";
import { at, dayFromNow } from "../support/dates";

/** A change set with the ids of not-yet-created slots left out, so a dry run and a real run compare. */
const comparable = (result: BulkSlotsResult) => ({
  ...result.changed,
  created: result.changed.created.map((s) => ({ ...s, id: null })),
});

describe("bulk slot operations", () => {
  const app = useApp();
  const call = caller(app);
  let clinic: string;
  let reception: TestPerson;
  let receptionOther: TestPerson;
  let patient: TestPerson;

  beforeAll(async () => {
    clinic = (await buildClinic(app)).id;
    const other = (await buildClinic(app)).id;
    reception = await buildPerson(app, "receptionist", { clinicIds: [clinic] });
    receptionOther = await buildPerson(app, "receptionist", { clinicIds: [other] });
    patient = await buildPerson(app, "patient");
  });

  const newDoctor = () => buildPerson(app, "doctor", { clinicIds: [clinic] });
  const week = (start: number) => ({ from: at(dayFromNow(start), "00:00").toISOString(), to: at(dayFromNow(start + 7), "00:00").toISOString() });

  it("resizes 15 → 30 minutes across a week around booked slots, and the dry run equals the real change set", async () => {
    const doctor = await newDoctor();
    const days = [1, 2, 3, 4, 5].map((n) => dayFromNow(20 + n));
    const taken = new Map<string, number[]>([
      [days[1]!, [5]], // 10:15–10:30 booked
      [days[3]!, [0, 11]], // first and last of the morning
    ]);
    for (const day of days) {
      await buildSlots(app, {
        doctorId: doctor.doctorId!, clinicId: clinic, date: day, from: "09:00", count: 12, minutes: 15,
        status: (i) => (taken.get(day)?.includes(i) ? "booked" : "available"),
      });
    }
    const before = await slotsOf(app, doctor.doctorId!);
    const booked = before.filter((s) => s.status === "booked");
    const body = { clinicId: clinic, ...week(20), action: "resize", newMinutes: 30 };
    const path = `/doctors/${doctor.doctorId}/slots/bulk`;

    const dry = await readJson(await call(reception, "POST", path, { ...body, dryRun: true }), bulkSlotsResultSchema);
    expect(await slotsOf(app, doctor.doctorId!)).toEqual(before);
    const real = await readJson(await call(reception, "POST", path, body), bulkSlotsResultSchema);
    expect(real.dryRun).toBe(false);
    expect(comparable(real)).toEqual(comparable(dry));
    expect(real.changed.created.every((s) => s.id !== null)).toBe(true);

    expect(await overlappingSlotPairs(app, doctor.doctorId!)).toBe(0);
    const after = await slotsOf(app, doctor.doctorId!);
    expect(after.filter((s) => s.status === "booked")).toEqual(booked);
    expect(real.changed.unchangedBecauseTaken.map((s) => s.id).sort()).toEqual(booked.map((s) => s.id).sort());
    const times = (day: string) =>
      after
        .filter((s) => +new Date(s.starts_at) >= +at(day, "00:00") && +new Date(s.starts_at) < +at(day, "23:59"))
        .map((s) => `${s.status === "booked" ? "B" : ""}${(+new Date(s.ends_at) - +new Date(s.starts_at)) / 60_000}@${new Date(s.starts_at).toISOString().slice(11, 16)}`);
    const hhmm = (day: string, t: string) => at(day, t).toISOString().slice(11, 16);
    // A plain day: six 30-minute slots 09:00–12:00.
    expect(times(days[0]!)).toEqual(["09:00", "09:30", "10:00", "10:30", "11:00", "11:30"].map((t) => `30@${hhmm(days[0]!, t)}`));
    // Booked 10:15: run 09:00–10:15 gives two (10:00–10:15 stays empty); run 10:30–12:00 gives three.
    expect(times(days[1]!)).toEqual([
      `30@${hhmm(days[1]!, "09:00")}`, `30@${hhmm(days[1]!, "09:30")}`, `B15@${hhmm(days[1]!, "10:15")}`,
      `30@${hhmm(days[1]!, "10:30")}`, `30@${hhmm(days[1]!, "11:00")}`, `30@${hhmm(days[1]!, "11:30")}`,
    ]);
    // Booked first and last: the run 09:15–11:45 gives exactly five.
    expect(times(days[3]!)).toEqual([
      `B15@${hhmm(days[3]!, "09:00")}`,
      ...["09:15", "09:45", "10:15", "10:45", "11:15"].map((t) => `30@${hhmm(days[3]!, t)}`),
      `B15@${hhmm(days[3]!, "11:45")}`,
    ]);
    expect(real.changed.deleted).toHaveLength(60 - 3);
    expect(real.changed.created).toHaveLength(6 * 3 + 5 + 5);
    const [audit] = await query<{ n: string }>(
      app,
      `select count(*) as n from audit_event where action = 'scheduling.slots.bulk-resize' and entity_id = ?`,
      [doctor.doctorId],
    );
    expect(Number(audit!.n)).toBe(1);

    // Resizing again to the same length changes nothing.
    const again = await readJson(await call(reception, "POST", path, body), bulkSlotsResultSchema);
    expect(again.changed.created).toEqual([]);
    expect(again.changed.deleted).toEqual([]);
  });

  it("deletes only the free slots matching the filter", async () => {
    const doctor = await newDoctor();
    const day = dayFromNow(31);
    const regular = await buildSlots(app, { doctorId: doctor.doctorId!, clinicId: clinic, date: day, from: "09:00", count: 4, minutes: 15 });
    const walkIns = await buildSlots(app, {
      doctorId: doctor.doctorId!, clinicId: clinic, date: day, from: "13:00", count: 4, minutes: 15, kind: "walk_in",
      status: (i) => (i === 0 ? "held" : "available"),
    });
    const body = { clinicId: clinic, ...week(30), action: "delete", filter: { kind: "walk_in" } };
    const path = `/doctors/${doctor.doctorId}/slots/bulk`;
    const dry = await readJson(await call(reception, "POST", path, { ...body, dryRun: true }), bulkSlotsResultSchema);
    const real = await readJson(await call(reception, "POST", path, body), bulkSlotsResultSchema);
    expect(comparable(real)).toEqual(comparable(dry));
    expect(real.changed.deleted.map((s) => s.id)).toEqual(walkIns.slice(1).map((s) => s.id));
    expect(real.changed.unchangedBecauseTaken.map((s) => s.id)).toEqual([walkIns[0]!.id]);
    expect((await slotsOf(app, doctor.doctorId!)).map((s) => s.id)).toEqual([...regular.map((s) => s.id), walkIns[0]!.id]);
  });

  it("blocks a week of free slots with a reason, bumping versions", async () => {
    const doctor = await newDoctor();
    const day = dayFromNow(41);
    await buildSlots(app, {
      doctorId: doctor.doctorId!, clinicId: clinic, date: day, from: "09:00", count: 6, minutes: 20, status: (i) => (i === 3 ? "booked" : "available"),
    });
    const body = { clinicId: clinic, ...week(40), action: "block", reason: "Training week" };
    const path = `/doctors/${doctor.doctorId}/slots/bulk`;
    const dry = await readJson(await call(reception, "POST", path, { ...body, dryRun: true }), bulkSlotsResultSchema);
    const real = await readJson(await call(reception, "POST", path, body), bulkSlotsResultSchema);
    expect(real.changed).toEqual(dry.changed);
    expect(real.changed.blocked).toHaveLength(5);
    const rows = await slotsOf(app, doctor.doctorId!);
    expect(rows.map((s) => `${s.status}/${s.version}`)).toEqual(["blocked/2", "blocked/2", "blocked/2", "booked/1", "blocked/2", "blocked/2"]);
    expect(rows[0]!.note).toBe("Training week");
  });

  it("refuses bad input naming the field, and callers without the right", async () => {
    const doctor = await newDoctor();
    const path = `/doctors/${doctor.doctorId}/slots/bulk`;
    const base = { clinicId: clinic, ...week(50) };
    const fields = async (body: unknown) => {
      const response = await call(reception, "POST", path, body);
      expect(response.status).toBe(400);
      return problemSchema.parse(await response.json()).errors?.map((e) => e.field);
    };
    expect(await fields({ ...base, action: "resize" })).toEqual(["body.newMinutes"]);
    expect(await fields({ ...base, action: "block" })).toEqual(["body.reason"]);
    expect(await fields({ ...base, action: "delete", filter: { status: "booked" } })).toEqual(["body.filter.status"]);
    expect(await fields({ ...base, action: "delete", to: base.from })).toEqual(["body.to"]);
    expect(await fields({ ...base, action: "shuffle" })).toEqual(["body.action"]);
    expect((await call(receptionOther, "POST", path, { ...base, action: "delete" })).status).toBe(403);
    expect((await call(patient, "POST", path, { ...base, action: "delete" })).status).toBe(403);
  });
});
