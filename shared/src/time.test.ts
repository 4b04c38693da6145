import { describe, expect, it } from "vitest";
import { addDays, daysBetween, isoWeekday, localDateOf, localTimeOf, zonedToInstant } from "./time";

describe("zonedToInstant", () => {
  it("converts ordinary days in winter and summer", () => {
    expect(zonedToInstant("2026-01-15", "09:00", "Europe/London").toISOString()).toBe("2026-01-15T09:00:00.000Z");
    expect(zonedToInstant("2026-07-15", "09:00", "Europe/London").toISOString()).toBe("2026-07-15T08:00:00.000Z");
    expect(zonedToInstant("2026-01-15", "09:00", "America/New_York").toISOString()).toBe("2026-01-15T14:00:00.000Z");
    expect(zonedToInstant("2026-07-15", "09:00", "America/New_York").toISOString()).toBe("2026-07-15T13:00:00.000Z");
    expect(zonedToInstant("2026-07-15", "09:00", "Asia/Kolkata").toISOString()).toBe("2026-07-15T03:30:00.000Z");
  });

  it("gets the DST change days right (London: 29 Mar and 25 Oct 2026; New York: 8 Mar and 1 Nov 2026)", () => {
    // Morning hours after the change use the new offset.
    expect(zonedToInstant("2026-03-29", "09:00", "Europe/London").toISOString()).toBe("2026-03-29T08:00:00.000Z");
    expect(zonedToInstant("2026-10-25", "09:00", "Europe/London").toISOString()).toBe("2026-10-25T09:00:00.000Z");
    expect(zonedToInstant("2026-03-08", "09:00", "America/New_York").toISOString()).toBe("2026-03-08T13:00:00.000Z");
    expect(zonedToInstant("2026-11-01", "09:00", "America/New_York").toISOString()).toBe("2026-11-01T14:00:00.000Z");
    // Before the change on the same day, the old offset.
    expect(zonedToInstant("2026-03-29", "00:30", "Europe/London").toISOString()).toBe("2026-03-29T00:30:00.000Z");
  });

  it("moves a wall time inside the spring-forward gap forward by the gap", () => {
    expect(zonedToInstant("2026-03-29", "01:30", "Europe/London").toISOString()).toBe("2026-03-29T01:30:00.000Z");
    expect(localTimeOf(zonedToInstant("2026-03-29", "01:30", "Europe/London"), "Europe/London")).toBe("02:30");
    expect(zonedToInstant("2026-03-08", "02:30", "America/New_York").toISOString()).toBe("2026-03-08T07:30:00.000Z");
  });

  it("takes the first occurrence of a wall time that happens twice", () => {
    expect(zonedToInstant("2026-10-25", "01:30", "Europe/London").toISOString()).toBe("2026-10-25T00:30:00.000Z");
    expect(zonedToInstant("2026-11-01", "01:30", "America/New_York").toISOString()).toBe("2026-11-01T05:30:00.000Z");
  });

  it("round-trips through localDateOf/localTimeOf", () => {
    for (const zone of ["Europe/London", "America/New_York", "Australia/Sydney"]) {
      for (let day = 0; day < 400; day += 7) {
        const date = addDays("2026-01-01", day);
        const instant = zonedToInstant(date, "10:15", zone);
        expect([localDateOf(instant, zone), localTimeOf(instant, zone)]).toEqual([date, "10:15"]);
      }
    }
  });
});

describe("calendar helpers", () => {
  it("adds days across months and years, knows weekdays, counts days", () => {
    expect(addDays("2026-12-30", 3)).toBe("2027-01-02");
    expect(addDays("2026-03-01", -1)).toBe("2026-02-28");
    expect(isoWeekday("2026-11-22")).toBe(7);
    expect(isoWeekday("2026-11-23")).toBe(1);
    expect(daysBetween("2026-03-28", "2026-03-30")).toBe(2);
  });
});
