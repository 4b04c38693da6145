/**
 * The slice of iCalendar (RFC 5545) the schedule needs, with no dependencies: content lines with
 * parameters, line folding at 75 octets and unfolding, TEXT escaping, VEVENT components, and
 * DATE-TIME values in UTC ("…Z"), with TZID, or floating (read in a default zone).
 */
import { zonedToInstant } from "@clinic/shared";

export interface ContentLine {
  name: string;
  params: Record<string, string>;
  value: string;
}

export interface IcsEvent {
  /** 1-based position among the file's VEVENTs. */
  ordinal: number;
  /** Properties by upper-case name, in file order. */
  props: Map<string, ContentLine[]>;
}

export class IcsSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "IcsSyntaxError";
  }
}

// ---------------------------------------------------------------- text values

export function escapeText(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/;/g, "\\;").replace(/,/g, "\\,").replace(/\r\n|\r|\n/g, "\\n");
}

export function unescapeText(value: string): string {
  return value.replace(/\\([\\;,nN])/g, (_all, c: string) => (c === "n" || c === "N" ? "\n" : c));
}

/** Splits a multi-valued TEXT (CATEGORIES) on commas that are not escaped, then unescapes each. */
export function splitTextList(value: string): string[] {
  const items: string[] = [];
  let current = "";
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (c === "\\" && i + 1 < value.length) {
      current += c + value[i + 1];
      i++;
    } else if (c === ",") {
      items.push(current);
      current = "";
    } else current += c;
  }
  items.push(current);
  return items.map(unescapeText);
}

// ---------------------------------------------------------------- folding

/** Folds one content line into physical lines of at most 75 octets, never splitting a character. */
export function foldLine(line: string): string {
  const encoder = new TextEncoder();
  const out: string[] = [];
  let current = "";
  let octets = 0;
  for (const char of line) {
    const size = encoder.encode(char).length;
    const limit = out.length === 0 ? 75 : 74; // continuation lines start with a space
    if (octets + size > limit) {
      out.push(current);
      current = "";
      octets = 0;
    }
    current += char;
    octets += size;
  }
  out.push(current);
  return out.join("\r\n ");
}

/** Joins folded lines (CRLF or LF followed by one space or tab) and splits into logical lines. */
export function unfold(text: string): string[] {
  const input = text.startsWith("\uFEFF") ? text.slice(1) : text;
  return input
    .replace(/\r?\n[ \t]/g, "")
    .split(/\r?\n/)
    .filter((line) => line.trim() !== "");
}

// ---------------------------------------------------------------- content lines

export function parseContentLine(line: string): ContentLine {
  let i = 0;
  while (i < line.length && line[i] !== ";" && line[i] !== ":") i++;
  const name = line.slice(0, i).toUpperCase();
  if (!name) throw new IcsSyntaxError(`not a content line: ${line.slice(0, 40)}`);
  const params: Record<string, string> = {};
  while (line[i] === ";") {
    i++;
    const eq = line.indexOf("=", i);
    if (eq < 0) throw new IcsSyntaxError(`bad parameter in ${name}`);
    const key = line.slice(i, eq).toUpperCase();
    i = eq + 1;
    let value = "";
    // A parameter value may be a comma list of plain or DQUOTE'd values.
    for (;;) {
      if (line[i] === '"') {
        const close = line.indexOf('"', i + 1);
        if (close < 0) throw new IcsSyntaxError(`unclosed quote in ${name}`);
        value += line.slice(i + 1, close);
        i = close + 1;
      } else {
        const start = i;
        while (i < line.length && line[i] !== ";" && line[i] !== ":" && line[i] !== ",") i++;
        value += line.slice(start, i);
      }
      if (line[i] === ",") {
        value += ",";
        i++;
        continue;
      }
      break;
    }
    params[key] = value;
  }
  if (line[i] !== ":") throw new IcsSyntaxError(`no value in ${name}`);
  return { name, params, value: line.slice(i + 1) };
}

/** Paramater values are quoted when they contain `:`, `;` or `,`. */
function formatParam(value: string): string {
  return /[:;,]/.test(value) ? `"${value.replace(/"/g, "")}"` : value;
}

export function formatContentLine(line: ContentLine): string {
  const params = Object.entries(line.params)
    .map(([key, value]) => `;${key}=${formatParam(value)}`)
    .join("");
  return foldLine(`${line.name}${params}:${line.value}`);
}

// ---------------------------------------------------------------- documents

/** The VEVENTs of a VCALENDAR (nested components such as VALARM are ignored). */
export function parseIcs(text: string): IcsEvent[] {
  const lines = unfold(text).map(parseContentLine);
  if (lines[0]?.name !== "BEGIN" || lines[0].value.toUpperCase() !== "VCALENDAR") {
    throw new IcsSyntaxError("the file does not start with BEGIN:VCALENDAR");
  }
  const stack: string[] = [];
  const events: IcsEvent[] = [];
  let event: IcsEvent | undefined;
  for (const line of lines) {
    if (line.name === "BEGIN") {
      const component = line.value.toUpperCase();
      stack.push(component);
      if (component === "VEVENT" && stack.length === 2) {
        event = { ordinal: events.length + 1, props: new Map() };
        events.push(event);
      }
      continue;
    }
    if (line.name === "END") {
      const component = line.value.toUpperCase();
      if (stack.pop() !== component) throw new IcsSyntaxError(`END:${component} without a matching BEGIN`);
      if (component === "VEVENT" && stack.length === 1) event = undefined;
      continue;
    }
    if (event && stack.length === 2) {
      const list = event.props.get(line.name) ?? [];
      list.push(line);
      event.props.set(line.name, list);
    }
  }
  if (stack.length > 0) throw new IcsSyntaxError(`BEGIN:${stack.at(-1)} is never ended`);
  return events;
}

export interface IcsEventOut {
  uid: string;
  start: Date;
  end: Date;
  summary: string;
  status: "CONFIRMED" | "TENTATIVE" | "CANCELLED";
  description?: string | null;
  categories?: string[];
  /** Further properties, e.g. X-CLINIC-LIVE-KIND (values are written as TEXT). */
  extra?: Record<string, string>;
}

export function formatUtc(instant: Date): string {
  return instant.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
}

/** A complete VCALENDAR with CRLF line ends and folded lines. */
export function serializeIcs(calendar: { name: string; stamp: Date; events: IcsEventOut[] }): string {
  const lines: ContentLine[] = [];
  const add = (name: string, value: string, params: Record<string, string> = {}) => lines.push({ name, params, value });
  add("BEGIN", "VCALENDAR");
  add("VERSION", "2.0");
  add("PRODID", "-//Clinic Live//Schedule//EN");
  add("CALSCALE", "GREGORIAN");
  add("METHOD", "PUBLISH");
  add("X-WR-CALNAME", escapeText(calendar.name));
  const stamp = formatUtc(calendar.stamp);
  for (const event of calendar.events) {
    add("BEGIN", "VEVENT");
    add("UID", event.uid);
    add("DTSTAMP", stamp);
    add("DTSTART", formatUtc(event.start));
    add("DTEND", formatUtc(event.end));
    add("SUMMARY", escapeText(event.summary));
    add("STATUS", event.status);
    if (event.description) add("DESCRIPTION", escapeText(event.description));
    if (event.categories?.length) add("CATEGORIES", event.categories.map(escapeText).join(","));
    for (const [name, value] of Object.entries(event.extra ?? {})) add(name, escapeText(value));
    add("END", "VEVENT");
  }
  add("END", "VCALENDAR");
  return lines.map(formatContentLine).join("\r\n") + "\r\n";
}

// ---------------------------------------------------------------- date-time values

function isZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/**
 * A DATE-TIME property as an instant: `…Z` is UTC, `TZID=` is that IANA zone, no zone is floating
 * and read in `defaultZone`. Returns an error message for anything else (all-day DATE values,
 * unknown zones, wall times that do not exist because of a DST change).
 */
export function parseDateTime(line: ContentLine, defaultZone: string): Date | string {
  if (line.params.VALUE?.toUpperCase() === "DATE" || /^\d{8}$/.test(line.value)) return "all-day dates are not slots; give a time";
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(Z?)$/.exec(line.value.trim());
  if (!match) return "not an iCalendar DATE-TIME (YYYYMMDDTHHMMSS[Z])";
  const [, y, mo, d, h, mi, s, z] = match as unknown as [string, string, string, string, string, string, string, string];
  const date = `${y}-${mo}-${d}`;
  const time = `${h}:${mi}`;
  const probe = new Date(`${date}T${time}:${s}Z`);
  if (Number.isNaN(probe.getTime()) || probe.toISOString().slice(0, 10) !== date || Number(h) > 23) return "not a real date-time";
  if (z) return probe;
  const zone = line.params.TZID ?? defaultZone;
  if (!isZone(zone)) return `unknown TZID ${zone}`;
  const instant = zonedToInstant(date, time, zone);
  const wall = new Intl.DateTimeFormat("en-GB", { timeZone: zone, hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).format(instant);
  if (wall !== time) return `${date} ${time} does not exist in ${zone} (clocks change)`;
  return new Date(instant.getTime() + Number(s) * 1000);
}
