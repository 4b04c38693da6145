/**
 * DST: wall-clock rules stay on the wall clock across the 2026 changes in London (29 Mar, 25 Oct)
 * and New York (8 Mar, 1 Nov); the change night follows time.ts (gap: moved forward, the day loses
 * an hour; overlap: the first occurrence, the repeated hour used once). Checked in the pure engine
 * and through materialisation into the database.
 */
import { describe, expect, it } from "vitest";
import { addDays, localDateOf, localTimeOf, zoneOffsetMs } from "@clinic/shared";
import { materialiseUpToHorizon } from "../../server/src/modules/scheduling/materialise.service";
import { expandRule, type RuleShape } from "../../server/src/modules/scheduling/rule-expansion";
import { useApp } from "../support/harness";
import { buildClinic, buildDoctor } from "../support/factories";
import { call } from "../support/api";
import { query } from "../support/db";

const everyDay = (validFrom: string, validUntil: string, startTime = "09:00", endTime = "12:00"): RuleShape => ({
  recurrence: { freq: "weekly", interval: 1, weekdays: [1, 2, 3, 4, 5, 6, 7] },
  validFrom,
  validUntil,
  startTime,
  endTime,
  breaks: [],
  slotMinutes: 30,
  bufferMinutes: 0,
});
const GRID = ["09:00", "09:30", "10:00", "10:30", "11:00", "11:30"];
const hours = (ms: number) => ms / 3_600_000;

const cases = [
  { zone: "Europe/London", monday: "2026-03-23", change: "2026-03-29", before: 0, after: 1 },
  { zone: "Europe/London", monday: "2026-10-19", change: "2026-10-25", before: 1, after: 0 },
  { zone: "America/New_York", monday: "2026-03-02", change: "2026-03-08", before: -5, after: -4 },
  { zone: "America/New_York", monday: "2026-10-26", change: "2026-11-01", before: -4, after: -5 },
];

describe("DST weeks in the pure engine", () => {
  for (const c of cases) {
    it(`${c.zone}, week of ${c.monday}: 09:00–12:00 local every day, offsets ${c.before} → ${c.after}`, () => {
      const sunday = addDays(c.monday, 6);
      const { slots } = expandRule(
        everyDay(c.monday, addDays(sunday, 1)),
        { from: new Date(`${addDays(c.monday, -1)}T00:00:00Z`), to: new Date(`${addDays(sunday, 3)}T00:00:00Z`) },
        c.zone,
      );
      const byDay = new Map<string, string[]>();
      for (const slot of slots) {
        const day = localDateOf(slot.start, c.zone);
        byDay.set(day, [...(byDay.get(day) ?? []), localTimeOf(slot.start, c.zone)]);
        expect(slot.end.getTime() - slot.start.getTime()).toBe(30 * 60_000);
        const offset = hours(zoneOffsetMs(slot.start.getTime(), c.zone));
        expect(offset).toBe(day < c.change ? c.before : c.after);
      }
      expect([...byDay.keys()]).toEqual([0, 1, 2, 3, 4, 5, 6, 7].map((i) => addDays(c.monday, i)));
      for (const times of byDay.values()) expect(times).toEqual(GRID);
    });
  }
});

describe("the change night itself", () => {
  it("London spring gap (01:00→02:00): 00:30–03:30 yields 00:30, 02:00, 02:30, 03:00 — an hour less", () => {
    const { slots } = expandRule(everyDay("2026-03-29", "2026-03-29", "00:30", "03:30"), { from: new Date("2026-03-28T00:00:00Z"), to: new Date("2026-03-30T00:00:00Z") }, "Europe/London");
    expect(slots.map((s) => localTimeOf(s.start, "Europe/London"))).toEqual(["00:30", "02:00", "02:30", "03:00"]);
    expect(slots.map((s) => s.start.toISOString())).toEqual(["2026-03-29T00:30:00.000Z", "2026-03-29T01:00:00.000Z", "2026-03-29T01:30:00.000Z", "2026-03-29T02:00:00.000Z"]);
  });

  it("London autumn overlap (02:00→01:00): the repeated hour is used once, in summer time", () => {
    const { slots } = expandRule(everyDay("2026-10-25", "2026-10-25", "00:30", "03:00"), { from: new Date("2026-10-24T00:00:00Z"), to: new Date("2026-10-26T00:00:00Z") }, "Europe/London");
    expect(slots.map((s) => s.start.toISOString())).toEqual([
      "2026-10-24T23:30:00.000Z", // 00:30 BST
      "2026-10-25T00:00:00.000Z", // 01:00 BST (first occurrence)
      "2026-10-25T00:30:00.000Z", // 01:30 BST
      "2026-10-25T02:00:00.000Z", // 02:00 GMT
      "2026-10-25T02:30:00.000Z", // 02:30 GMT
    ]);
    for (let i = 1; i < slots.length; i++) expect(slots[i]!.start >= slots[i - 1]!.end).toBe(true);
  });

  it("New York spring gap (02:00→03:00) and autumn overlap (02:00→01:00)", () => {
    const zone = "America/New_York";
    const spring = expandRule(everyDay("2026-03-08", "2026-03-08", "01:00", "04:00"), { from: new Date("2026-03-07T00:00:00Z"), to: new Date("2026-03-10T00:00:00Z") }, zone).slots;
    expect(spring.map((s) => localTimeOf(s.start, zone))).toEqual(["01:00", "01:30", "03:00", "03:30"]);
    const autumn = expandRule(everyDay("2026-11-01", "2026-11-01", "00:30", "02:30"), { from: new Date("2026-10-31T00:00:00Z"), to: new Date("2026-11-03T00:00:00Z") }, zone).slots;
    expect(autumn.map((s) => s.start.toISOString())).toEqual([
      "2026-11-01T04:30:00.000Z", // 00:30 EDT
      "2026-11-01T05:00:00.000Z", // 01:00 EDT
      "2026-11-01T05:30:00.000Z", // 01:30 EDT
      "2026-11-01T07:00:00.000Z", // 02:00 EST
    ]);
  });
});

describe("DST through materialisation", () => {
  const app = useApp();

  for (const c of [cases[0]!, cases[2]!]) {
    it(`${c.zone}: slots stored for the change week read 09:00… local every day`, async () => {
      const clinic = await buildClinic(app, { timeZone: c.zone });
      const doctor = await buildDoctor(app, [clinic.id]);
      const sunday = addDays(c.monday, 6);
      // The rule is in the past for the API (no slots yet); materialise as if it were that week.
      const created = await call(app, doctor, "POST", `/doctors/${doctor.doctorId}/availability-rules`, {
        clinicId: clinic.id,
        recurrence: { freq: "weekly", interval: 1, weekdays: [1, 2, 3, 4, 5, 6, 7] },
        validFrom: c.monday,
        validUntil: sunday,
        startTime: "09:00",
        endTime: "12:00",
        slotMinutes: 30,
      });
      expect(created.status).toBe(201);
      expect(created.body.materialisation.created).toBe(0);
      const now = new Date(`${addDays(c.monday, -1)}T12:00:00Z`);
      const first = await materialiseUpToHorizon(app.runtime.orm.em, [created.body.rule.id], { now, horizonDays: 30 });
      expect(first.report.created).toBe(42);
      const again = await materialiseUpToHorizon(app.runtime.orm.em, [created.body.rule.id], { now, horizonDays: 30 });
      expect(again.report).toEqual({ created: 0, kept: 42, removed: 0, conflicts: [] });
      const rows = await query<{ starts_at: Date }>(app, `select starts_at from slot where doctor_id = ? order by starts_at`, [doctor.doctorId]);
      const byDay = new Map<string, string[]>();
      for (const row of rows) {
        const start = new Date(row.starts_at);
        const day = localDateOf(start, c.zone);
        byDay.set(day, [...(byDay.get(day) ?? []), localTimeOf(start, c.zone)]);
      }
      expect(byDay.size).toBe(7);
      for (const times of byDay.values()) expect(times).toEqual(GRID);
    });
  }
});
