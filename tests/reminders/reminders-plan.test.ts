/** The pure reminder planner: nominal times, DST days, quiet hours (plain and wrapping), collapsing. */
import { describe, expect, it } from "vitest";
import { zonedToInstant } from "@clinic/shared";
import { formatWhen } from "@clinic/shared";
import { planReminders, quietWindowAround } from "../../server/src/modules/reminders/reminder-plan";

const LONDON = "Europe/London";
const local = (date: string, time: string, zone = LONDON) => zonedToInstant(date, time, zone);
const plan = (startsAt: Date, options: { now?: Date; quiet?: { start: string; end: string } | null; zone?: string } = {}) =>
  planReminders({ startsAt, zone: options.zone ?? LONDON, now: options.now ?? new Date("2020-01-01T00:00:00Z"), quietHours: options.quiet ?? null }).map(
    ({ kind, at }) => [kind, at.toISOString()],
  );

describe("reminder planning", () => {
  it("plans 24 h before, 08:00 local on the day and 2 h before", () => {
    expect(plan(local("2026-06-10", "15:00"))).toEqual([
      ["day-before", "2026-06-09T14:00:00.000Z"],
      ["morning", "2026-06-10T07:00:00.000Z"], // 08:00 BST
      ["two-hours", "2026-06-10T12:00:00.000Z"],
    ]);
    // Winter: 08:00 GMT is 08:00 UTC.
    expect(plan(local("2026-01-14", "15:00"))[1]).toEqual(["morning", "2026-01-14T08:00:00.000Z"]);
  });

  it("uses the clinic's zone for the morning reminder", () => {
    // 03:00 UTC on the 10th is 23:00 on the 9th in New York: the morning is the 9th, 08:00 EDT.
    expect(plan(new Date("2026-06-10T03:00:00Z"), { zone: "America/New_York" })).toEqual([
      ["day-before", "2026-06-09T03:00:00.000Z"],
      ["morning", "2026-06-09T12:00:00.000Z"],
      ["two-hours", "2026-06-10T01:00:00.000Z"],
    ]);
  });

  it("is DST-safe: day-before is 24 real hours, the morning is 08:00 on the clock", () => {
    // London springs forward on 2026-03-29 at 01:00 UTC: 15:00 BST is 14:00 UTC.
    const spring = local("2026-03-29", "15:00");
    expect(spring.toISOString()).toBe("2026-03-29T14:00:00.000Z");
    expect(plan(spring)).toEqual([
      ["day-before", "2026-03-28T14:00:00.000Z"], // 14:00 GMT the day before: 24 real hours, not the same wall time
      ["morning", "2026-03-29T07:00:00.000Z"], // 08:00 BST
      ["two-hours", "2026-03-29T12:00:00.000Z"],
    ]);
    // Falls back on 2026-10-25 at 01:00 UTC: 08:00 GMT is 08:00 UTC; 24 h before 12:00 GMT is 13:00 BST.
    expect(plan(local("2026-10-25", "12:00"))).toEqual([
      ["day-before", "2026-10-24T12:00:00.000Z"],
      ["morning", "2026-10-25T08:00:00.000Z"],
      ["two-hours", "2026-10-25T10:00:00.000Z"],
    ]);
  });

  it("drops reminders in the past and a morning reminder at or after the start", () => {
    const start = local("2026-06-10", "15:00");
    expect(plan(start, { now: new Date("2026-06-10T08:00:00Z") })).toEqual([["two-hours", "2026-06-10T12:00:00.000Z"]]);
    expect(plan(start, { now: new Date("2026-06-10T12:00:00Z") })).toEqual([]);
    // 07:30: the morning (08:00) would be after it; 2 h before is 05:30.
    expect(plan(local("2026-06-10", "07:30")).map(([kind]) => kind)).toEqual(["day-before", "two-hours"]);
  });

  it("collapses two reminders within 30 minutes into the earlier one", () => {
    // 10:20: morning 08:00, two-hours 08:20 → only the morning one.
    expect(plan(local("2026-06-10", "10:20")).map(([kind]) => kind)).toEqual(["day-before", "morning"]);
    // 10:30: exactly 30 minutes apart → both stay.
    expect(plan(local("2026-06-10", "10:30")).map(([kind]) => kind)).toEqual(["day-before", "morning", "two-hours"]);
    // 09:45: two-hours at 07:45 is earlier than the morning at 08:00 → two-hours stays.
    expect(plan(local("2026-06-10", "09:45")).map(([kind]) => kind)).toEqual(["day-before", "two-hours"]);
  });

  it("moves a reminder in wrapping quiet hours to the window's end, or before its start when that is too late", () => {
    const quiet = { start: "21:00", end: "08:00" };
    // 07:00: day-before 07:00 the 9th → 08:00 the 9th; morning is after the start; two-hours 05:00 → 08:00 is
    // after the start → 20:59 the 9th.
    expect(plan(local("2026-06-10", "07:00"), { quiet })).toEqual([
      ["day-before", local("2026-06-09", "08:00").toISOString()],
      ["two-hours", local("2026-06-09", "20:59").toISOString()],
    ]);
    // 23:30: day-before 23:30 the 9th → 08:00 the 10th, same as the morning (collapsed, day-before kept);
    // two-hours 21:30 → 20:59.
    expect(plan(local("2026-06-10", "23:30"), { quiet })).toEqual([
      ["day-before", local("2026-06-10", "08:00").toISOString()],
      ["two-hours", local("2026-06-10", "20:59").toISOString()],
    ]);
  });

  it("handles a same-day quiet window and skips what quiet hours push into the past", () => {
    const quiet = { start: "12:00", end: "14:00" };
    // 15:00: two-hours 13:00 → 14:00 (still before 15:00).
    expect(plan(local("2026-06-10", "15:00"), { quiet })[2]).toEqual(["two-hours", local("2026-06-10", "14:00").toISOString()]);
    // 13:30: two-hours 11:30 is outside; day-before 13:30 the 9th → 14:00 the 9th.
    expect(plan(local("2026-06-10", "13:30"), { quiet })[0]).toEqual(["day-before", local("2026-06-09", "14:00").toISOString()]);
    // 14:00: two-hours 12:00 → the end (14:00) is not before the start → 11:59. Now 11:58 → still ahead; now 12:00 → skipped.
    const start = local("2026-06-10", "14:00");
    expect(plan(start, { quiet, now: local("2026-06-10", "11:58") })).toEqual([["two-hours", local("2026-06-10", "11:59").toISOString()]]);
    expect(plan(start, { quiet, now: local("2026-06-10", "12:00") })).toEqual([]);
  });

  it("finds quiet windows across midnight and DST, and none when start equals end", () => {
    const quiet = { start: "21:00", end: "08:00" };
    const night = quietWindowAround(local("2026-03-29", "00:30"), LONDON, quiet);
    // The night DST starts: 21:00 GMT on the 28th to 08:00 BST on the 29th — 10 real hours.
    expect(night).toEqual({ start: new Date("2026-03-28T21:00:00Z"), end: new Date("2026-03-29T07:00:00Z") });
    expect(quietWindowAround(local("2026-06-10", "21:00"), LONDON, quiet)?.end).toEqual(local("2026-06-11", "08:00"));
    expect(quietWindowAround(local("2026-06-10", "08:00"), LONDON, quiet)).toBeNull();
    expect(quietWindowAround(local("2026-06-10", "20:59"), LONDON, quiet)).toBeNull();
    expect(quietWindowAround(local("2026-06-10", "03:00"), LONDON, { start: "22:00", end: "22:00" })).toBeNull();
  });

  it("formats times in the clinic's zone", () => {
    expect(formatWhen(new Date("2026-07-03T13:30:00Z"), LONDON)).toBe("Friday, 3 July 2026 at 14:30 BST");
    expect(formatWhen(new Date("2026-07-03T13:30:00Z"), "Asia/Kolkata")).toBe("Friday, 3 July 2026 at 19:00 GMT+5:30");
  });
});
