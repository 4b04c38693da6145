/** The pure rule engine: which days, which pieces, breaks, buffers, unavailability, weekly hours. */
import { describe, expect, it } from "vitest";
import { localDateOf, localTimeOf } from "@clinic/shared";
import {
  expandRule,
  ruleDays,
  wallPieces,
  weeklyWorkMinutes,
  type RuleShape,
} from "../../server/src/modules/scheduling/rule-expansion";

const LONDON = "Europe/London";
const base: RuleShape = {
  recurrence: { freq: "weekly", interval: 1, weekdays: [1, 3, 5] },
  validFrom: "2027-01-04", // a Monday
  validUntil: null,
  startTime: "09:00",
  endTime: "12:00",
  breaks: [],
  slotMinutes: 30,
  bufferMinutes: 0,
};
const window = (from: string, to: string) => ({ from: new Date(`${from}T00:00:00Z`), to: new Date(`${to}T00:00:00Z`) });
const local = (d: Date, zone = LONDON) => `${localDateOf(d, zone)} ${localTimeOf(d, zone)}`;

describe("rule days", () => {
  it("weekly on the given weekdays, every N weeks counted from validFrom's ISO week", () => {
    expect(ruleDays(base, "2027-01-04", "2027-01-17")).toEqual(["2027-01-04", "2027-01-06", "2027-01-08", "2027-01-11", "2027-01-13", "2027-01-15"]);
    // validFrom on a Wednesday: its week counts as week 0, the Monday before it is not in range.
    const fortnightly = { ...base, validFrom: "2027-01-06", recurrence: { freq: "weekly" as const, interval: 2, weekdays: [1, 3] } };
    expect(ruleDays(fortnightly, "2027-01-01", "2027-01-31")).toEqual(["2027-01-06", "2027-01-18", "2027-01-20"]);
  });

  it("daily every N days from validFrom, up to validUntil", () => {
    const rule = { ...base, recurrence: { freq: "daily" as const, interval: 3, weekdays: [] }, validFrom: "2027-01-02", validUntil: "2027-01-12" };
    expect(ruleDays(rule, "2027-01-01", "2027-02-01")).toEqual(["2027-01-02", "2027-01-05", "2027-01-08", "2027-01-11"]);
  });

  it("a single day is validFrom = validUntil", () => {
    const rule = { ...base, recurrence: { freq: "daily" as const, interval: 1, weekdays: [] }, validFrom: "2027-01-07", validUntil: "2027-01-07" };
    expect(ruleDays(rule, "2027-01-01", "2027-01-31")).toEqual(["2027-01-07"]);
  });
});

describe("pieces of a day", () => {
  it("cuts hours into slotMinutes separated by bufferMinutes, none running past endTime", () => {
    expect(wallPieces({ ...base, startTime: "09:00", endTime: "10:10", slotMinutes: 20, bufferMinutes: 5 })).toEqual([
      [540, 560],
      [565, 585],
      [590, 610],
    ]);
  });

  it("skips pieces overlapping a break and restarts the grid at the break's end", () => {
    const pieces = wallPieces({ ...base, startTime: "09:00", endTime: "13:00", breaks: [{ start: "11:00", end: "11:45" }], slotMinutes: 30 });
    expect(pieces.map(([s]) => s)).toEqual([540, 570, 600, 630, 705, 735]);
  });

  it("leaves out pieces covered by unavailability and reports them as skipped", () => {
    const leave = { id: "u1", kind: "vacation", start: new Date("2027-01-06T09:45:00Z"), end: new Date("2027-01-06T10:30:00Z") };
    const open = { id: "u2", kind: "closure", start: new Date("2027-01-08T11:00:00Z"), end: null };
    const { slots, skipped } = expandRule(base, window("2027-01-04", "2027-01-11"), LONDON, [leave, open]);
    expect(skipped.map((s) => [local(s.start), s.blackout.id])).toEqual([
      ["2027-01-06 09:30", "u1"],
      ["2027-01-06 10:00", "u1"],
      ["2027-01-08 11:00", "u2"],
      ["2027-01-08 11:30", "u2"],
    ]);
    expect(slots).toHaveLength(18 - 4);
  });

  it("keeps only slots starting inside the window, in the clinic's zone", () => {
    const { slots } = expandRule(base, { from: new Date("2027-01-06T10:00:00Z"), to: new Date("2027-01-08T09:30:00Z") }, "Asia/Kolkata");
    // Kolkata is +05:30: 09:00 local = 03:30Z, so Wednesday's pieces are before the window.
    expect(slots.map((s) => local(s.start, "Asia/Kolkata"))).toEqual(["2027-01-08 09:00", "2027-01-08 09:30", "2027-01-08 10:00", "2027-01-08 10:30", "2027-01-08 11:00", "2027-01-08 11:30"]);
    for (const s of slots) expect(s.end.getTime() - s.start.getTime()).toBe(30 * 60_000);
  });

  it("validUntil in the past gives nothing; an empty window gives nothing", () => {
    expect(expandRule({ ...base, validUntil: "2027-01-03" }, window("2027-01-04", "2027-02-01"), LONDON).slots).toEqual([]);
    expect(expandRule(base, window("2027-01-05", "2027-01-05"), LONDON).slots).toEqual([]);
  });
});

describe("weekly hours", () => {
  it("sums working minutes (hours less breaks) per ISO week over every rule", () => {
    const morning = { ...base, breaks: [{ start: "10:00", end: "10:30" }] }; // 2.5 h × Mon/Wed/Fri
    const evening = { ...base, recurrence: { freq: "weekly" as const, interval: 2, weekdays: [2] }, startTime: "17:00", endTime: "21:00" };
    const weeks = weeklyWorkMinutes([morning, evening], "2027-01-04", "2027-01-17");
    expect(Object.fromEntries(weeks)).toEqual({ "2027-01-04": 450 + 240, "2027-01-11": 450 });
  });
});
