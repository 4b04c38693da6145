/** The iCalendar subset: escaping, folding, content lines, VEVENTs and DATE-TIME values. */
import { describe, expect, it } from "vitest";
import {
  escapeText,
  foldLine,
  parseContentLine,
  parseDateTime,
  parseIcs,
  serializeIcs,
  splitTextList,
  unescapeText,
  unfold,
} from "../../server/src/modules/scheduling/ical";

const octets = (s: string) => new TextEncoder().encode(s).length;

describe("iCalendar", () => {
  it("escapes and unescapes TEXT", () => {
    const text = "Back, soon; see C:\\notes\nline two";
    expect(escapeText(text)).toBe("Back\\, soon\\; see C:\\\\notes\\nline two");
    expect(unescapeText(escapeText(text))).toBe(text);
    expect(unescapeText("a\\Nb")).toBe("a\nb");
    expect(splitTextList("one,two\\, three,four\\;")).toEqual(["one", "two, three", "four;"]);
  });

  it("folds at 75 octets without splitting characters, and unfolds back", () => {
    const ascii = `SUMMARY:${"x".repeat(200)}`;
    const folded = foldLine(ascii);
    const physical = folded.split("\r\n");
    expect(physical.length).toBe(3);
    expect(physical.every((l) => octets(l) <= 75)).toBe(true);
    expect(physical.slice(1).every((l) => l.startsWith(" "))).toBe(true);
    expect(unfold(folded)).toEqual([ascii]);

    const wide = `DESCRIPTION:${"é☃".repeat(60)}`;
    const lines = foldLine(wide).split("\r\n");
    expect(lines.every((l) => octets(l) <= 75)).toBe(true);
    expect(unfold(foldLine(wide))).toEqual([wide]);
    // LF-only files and tab continuations unfold too.
    expect(unfold("SUMMARY:ab\n\tcd\nUID:1")).toEqual(["SUMMARY:abcd", "UID:1"]);
  });

  it("parses content lines with quoted parameters", () => {
    expect(parseContentLine('DTSTART;TZID="America/New_York";X-A=b,"c:d":20261201T090000')).toEqual({
      name: "DTSTART",
      params: { TZID: "America/New_York", "X-A": "b,c:d" },
      value: "20261201T090000",
    });
    expect(parseContentLine("summary:Lunch: 12:00")).toEqual({ name: "SUMMARY", params: {}, value: "Lunch: 12:00" });
  });

  it("reads VEVENTs, ignoring nested components and folded lines", () => {
    const text = [
      "BEGIN:VCALENDAR",
      "VERSION:2.0",
      "BEGIN:VEVENT",
      "DTSTART:20261201T090000Z",
      "SUMMARY:Long ",
      " summary",
      "BEGIN:VALARM",
      "TRIGGER:-PT15M",
      "SUMMARY:alarm",
      "END:VALARM",
      "END:VEVENT",
      "BEGIN:VEVENT",
      "DTSTART:20261201T100000Z",
      "END:VEVENT",
      "END:VCALENDAR",
    ].join("\r\n");
    const events = parseIcs(text);
    expect(events.map((e) => e.ordinal)).toEqual([1, 2]);
    expect(events[0]!.props.get("SUMMARY")!.map((l) => l.value)).toEqual(["Long summary"]);
    expect(events[0]!.props.has("TRIGGER")).toBe(false);
    expect(() => parseIcs("BEGIN:VEVENT\r\nEND:VEVENT")).toThrow(/VCALENDAR/);
    expect(() => parseIcs("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nEND:VCALENDAR")).toThrow();
  });

  it("reads UTC, TZID and floating DATE-TIMEs, and refuses dates, unknown zones and DST gaps", () => {
    const line = (text: string) => parseContentLine(text);
    expect(parseDateTime(line("DTSTART:20260701T090000Z"), "Europe/London")).toEqual(new Date("2026-07-01T09:00:00Z"));
    expect(parseDateTime(line("DTSTART;TZID=Europe/London:20260701T090000"), "UTC")).toEqual(new Date("2026-07-01T08:00:00Z"));
    expect(parseDateTime(line("DTSTART;TZID=America/New_York:20260115T090000"), "UTC")).toEqual(new Date("2026-01-15T14:00:00Z"));
    expect(parseDateTime(line("DTSTART:20260115T090030"), "Europe/London")).toEqual(new Date("2026-01-15T09:00:30Z"));
    expect(parseDateTime(line("DTSTART;VALUE=DATE:20260115"), "UTC")).toMatch(/all-day/);
    expect(parseDateTime(line("DTSTART;TZID=Mars/Olympus:20260115T090000"), "UTC")).toMatch(/unknown TZID/);
    expect(parseDateTime(line("DTSTART;TZID=Europe/London:20260329T013000"), "UTC")).toMatch(/does not exist/);
    expect(parseDateTime(line("DTSTART:20260230T090000Z"), "UTC")).toMatch(/not a real/);
    expect(parseDateTime(line("DTSTART:2026-01-15 09:00"), "UTC")).toMatch(/not an iCalendar/);
  });

  it("serialises a calendar with CRLF, folded lines and escaped text that parses back", () => {
    const text = serializeIcs({
      name: "Dr Sen – Main, Street",
      stamp: new Date("2026-11-22T10:00:00Z"),
      events: [
        {
          uid: "1b4e28ba-2fa1-11d2-883f-0016d3cca427",
          start: new Date("2026-12-01T09:00:00Z"),
          end: new Date("2026-12-01T09:15:00Z"),
          summary: `Booked · Regular · Consultation; ${"long ".repeat(20)}`,
          status: "CONFIRMED",
          description: "Line one\nLine, two",
          categories: ["new patients", "a,b"],
        },
      ],
    });
    expect(text.endsWith("\r\n")).toBe(true);
    expect(text.split("\r\n").every((l) => octets(l) <= 75)).toBe(true);
    expect(text).toContain("DTSTART:20261201T090000Z\r\n");
    expect(text).toContain("X-WR-CALNAME:Dr Sen – Main\\, Street\r\n");
    const [event] = parseIcs(text);
    const value = (name: string) => event!.props.get(name)![0]!.value;
    expect(value("UID")).toBe("1b4e28ba-2fa1-11d2-883f-0016d3cca427");
    expect(value("STATUS")).toBe("CONFIRMED");
    expect(unescapeText(value("SUMMARY"))).toBe(`Booked · Regular · Consultation; ${"long ".repeat(20)}`);
    expect(unescapeText(value("DESCRIPTION"))).toBe("Line one\nLine, two");
    expect(splitTextList(value("CATEGORIES"))).toEqual(["new patients", "a,b"]);
  });
});
