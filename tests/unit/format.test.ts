/** The web's time formatting: the clinic's zone always; a 24-hour clock for a clinic in Europe whatever the browser's language. */
import { describe, expect, it } from "vitest";
import { formatTime, zoneNote } from "../../web/src/lib/format";

describe("times on screens", () => {
  it("reads 24-hour for a clinic in Europe and keeps the browser's habit elsewhere", () => {
    expect(formatTime("2026-12-07T14:30:00Z", "Europe/London")).toBe("14:30");
    expect(formatTime("2026-07-07T14:30:00Z", "Europe/London")).toBe("15:30");
    const newYork = formatTime("2026-12-07T14:30:00Z", "America/New_York");
    expect(newYork).toBe(new Intl.DateTimeFormat(undefined, { timeZone: "America/New_York", hour: "2-digit", minute: "2-digit" }).format(new Date("2026-12-07T14:30:00Z")));
  });

  it("names the clinic's zone only when its offset is not the browser's", () => {
    const browser = Intl.DateTimeFormat().resolvedOptions().timeZone;
    expect(zoneNote(browser)).toBeNull();
    const elsewhere = browser === "Asia/Kathmandu" ? "America/Chicago" : "Asia/Kathmandu";
    expect(zoneNote(elsewhere)).toContain(`(${elsewhere}), the clinic's time.`);
  });
});
