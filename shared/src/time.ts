/**
 * Wall-clock ↔ instant conversion in IANA zones, with no dependencies (Intl only). Times are
 * instants everywhere; a clinic's zone is used only to turn "Mon 09:00" into one, and DST days must
 * come out right:
 * - a wall time that does not exist (spring-forward gap, e.g. 01:30 in London on the last Sunday of
 *   March) is moved forward by the gap (→ 02:30 local, the instant the clock reads it);
 * - a wall time that happens twice (fall-back overlap) is the first occurrence (summer time).
 */

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    formatters.set(zone, f);
  }
  return f;
}

interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

function wallClockAt(instant: number, zone: string): WallClock {
  const parts: Record<string, number> = {};
  for (const part of formatter(zone).formatToParts(new Date(instant))) {
    if (part.type !== "literal") parts[part.type] = Number(part.value);
  }
  return {
    year: parts.year!,
    month: parts.month!,
    day: parts.day!,
    hour: parts.hour!,
    minute: parts.minute!,
    second: parts.second!,
  };
}

/** Milliseconds the zone is ahead of UTC at `instant`. */
export function zoneOffsetMs(instant: number, zone: string): number {
  const w = wallClockAt(instant, zone);
  return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second) - Math.floor(instant / 1000) * 1000;
}

/** The instant at which clocks in `zone` read `date` `time` ("YYYY-MM-DD", "HH:MM"). */
export function zonedToInstant(date: string, time: string, zone: string): Date {
  const [year, month, day] = date.split("-").map(Number) as [number, number, number];
  const [hour, minute] = time.split(":").map(Number) as [number, number];
  const asUtc = Date.UTC(year, month - 1, day, hour, minute);
  // The offset before and after the wall time; they differ only around a DST change.
  const before = zoneOffsetMs(asUtc - 86_400_000, zone);
  const after = zoneOffsetMs(asUtc + 86_400_000, zone);
  const candidates = [asUtc - before, asUtc - after];
  // Prefer a candidate whose wall clock really reads the requested time (the first one if both do).
  for (const candidate of candidates) {
    if (asUtc - zoneOffsetMs(candidate, zone) === candidate) return new Date(candidate);
  }
  // In the spring-forward gap: the wall time never happens; move forward by the gap.
  return new Date(asUtc - before);
}

/** The calendar day ("YYYY-MM-DD") in `zone` at `instant`. */
export function localDateOf(instant: Date, zone: string): string {
  const w = wallClockAt(instant.getTime(), zone);
  return `${w.year}-${String(w.month).padStart(2, "0")}-${String(w.day).padStart(2, "0")}`;
}

/** The wall-clock time ("HH:MM") in `zone` at `instant`. */
export function localTimeOf(instant: Date, zone: string): string {
  const w = wallClockAt(instant.getTime(), zone);
  return `${String(w.hour).padStart(2, "0")}:${String(w.minute).padStart(2, "0")}`;
}

/** Calendar arithmetic on "YYYY-MM-DD" (zone-free). */
export function addDays(date: string, days: number): string {
  const [year, month, day] = date.split("-").map(Number) as [number, number, number];
  return new Date(Date.UTC(year, month - 1, day + days)).toISOString().slice(0, 10);
}

/** ISO weekday of a calendar day: 1 = Monday … 7 = Sunday. */
export function isoWeekday(date: string): number {
  const [year, month, day] = date.split("-").map(Number) as [number, number, number];
  return ((new Date(Date.UTC(year, month - 1, day)).getUTCDay() + 6) % 7) + 1;
}

/** Whole days from `from` to `to` (both "YYYY-MM-DD"). */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}

/** Minutes since midnight of "HH:MM". */
export function minutesOf(time: string): number {
  const [hour, minute] = time.split(":").map(Number) as [number, number];
  return hour * 60 + minute;
}

/** An instant as a message says it, in the clinic's zone ("Tuesday, 8 December 2026 at 15:45 GMT"). */
export function formatWhen(instant: Date, zone: string): string {
  return new Intl.DateTimeFormat("en-GB", {
    timeZone: zone,
    weekday: "long",
    day: "numeric",
    month: "long",
    year: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
    timeZoneName: "short",
  }).format(instant);
}
