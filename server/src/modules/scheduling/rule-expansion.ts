/**
 * The pure rule engine: an availability rule (wall-clock terms) + a window + the clinic's zone +
 * the relevant unavailability → the slot intervals [start, end) it produces. No I/O.
 *
 * - Days: from `validFrom` to `validUntil` (or the window's end). Daily rules match every
 *   `interval` days counted from `validFrom`; weekly rules match `weekdays` in every `interval`-th
 *   ISO week counted from `validFrom`'s ISO week.
 * - Within a day: pieces of `slotMinutes` from `startTime`, `bufferMinutes` apart, each ending by
 *   `endTime`. A piece that overlaps a break is dropped and the grid restarts at the break's end.
 *   A piece that overlaps an unavailability is dropped (reported as skipped); the grid carries on.
 * - Wall times become instants with `zonedToInstant` in the clinic's zone, so 09:00 stays 09:00
 *   local on both sides of a DST change. A piece lasts `slotMinutes` of real time. On the change
 *   night itself (time.ts policy): a start in the spring-forward gap is moved forward by the gap, and
 *   a piece that would then overlap the previous one is dropped (the day has an hour less); in the
 *   autumn overlap a start means its first (summer-time) occurrence, so the repeated hour is used once.
 */
import { addDays, daysBetween, isoWeekday, localDateOf, minutesOf, zonedToInstant, type Recurrence } from "@clinic/shared";
import type { AvailabilityRule } from "./availability-rule.entity";

export interface RuleShape {
  recurrence: Recurrence;
  validFrom: string;
  validUntil: string | null;
  startTime: string;
  endTime: string;
  breaks: { start: string; end: string }[];
  slotMinutes: number;
  bufferMinutes: number;
}

export interface Interval {
  start: Date;
  end: Date;
}

export interface Blackout {
  id: string;
  kind: string;
  start: Date;
  /** null: open-ended. */
  end: Date | null;
}

export interface Expansion {
  slots: Interval[];
  skipped: (Interval & { blackout: Blackout })[];
}

const hhmm = (minutes: number) => `${String(Math.floor(minutes / 60)).padStart(2, "0")}:${String(minutes % 60).padStart(2, "0")}`;

/** Does the rule work on this calendar day? */
export function ruleMatchesDay(rule: Pick<RuleShape, "recurrence" | "validFrom" | "validUntil">, day: string): boolean {
  if (day < rule.validFrom) return false;
  if (rule.validUntil && day > rule.validUntil) return false;
  const interval = Math.max(1, rule.recurrence.interval ?? 1);
  if (rule.recurrence.freq === "daily") return daysBetween(rule.validFrom, day) % interval === 0;
  const weekdays = rule.recurrence.weekdays.length ? rule.recurrence.weekdays : [isoWeekday(rule.validFrom)];
  if (!weekdays.includes(isoWeekday(day))) return false;
  const firstMonday = addDays(rule.validFrom, 1 - isoWeekday(rule.validFrom));
  return Math.floor(daysBetween(firstMonday, day) / 7) % interval === 0;
}

/** The days in [fromDay, toDay] (inclusive) the rule works on. */
export function ruleDays(rule: Pick<RuleShape, "recurrence" | "validFrom" | "validUntil">, fromDay: string, toDay: string): string[] {
  const days: string[] = [];
  let day = fromDay < rule.validFrom ? rule.validFrom : fromDay;
  const last = rule.validUntil && rule.validUntil < toDay ? rule.validUntil : toDay;
  for (; day <= last; day = addDays(day, 1)) if (ruleMatchesDay(rule, day)) days.push(day);
  return days;
}

/** Wall-clock pieces of one working day, in minutes since midnight (breaks applied, DST not yet). */
export function wallPieces(rule: Pick<RuleShape, "startTime" | "endTime" | "breaks" | "slotMinutes" | "bufferMinutes">): [number, number][] {
  const end = minutesOf(rule.endTime);
  const breaks = rule.breaks.map((b) => [minutesOf(b.start), minutesOf(b.end)] as const).sort((a, b) => a[0] - b[0]);
  const pieces: [number, number][] = [];
  let cursor = minutesOf(rule.startTime);
  while (cursor + rule.slotMinutes <= end) {
    const pieceEnd = cursor + rule.slotMinutes;
    const hit = breaks.find(([bs, be]) => bs < pieceEnd && be > cursor);
    if (hit) {
      cursor = hit[1];
      continue;
    }
    pieces.push([cursor, pieceEnd]);
    cursor = pieceEnd + rule.bufferMinutes;
  }
  return pieces;
}

/** Minutes of work on one day: the hours less the breaks (what weekly-hours limits count). */
export function workMinutesPerDay(rule: Pick<RuleShape, "startTime" | "endTime" | "breaks">): number {
  const breaks = rule.breaks.reduce((sum, b) => sum + minutesOf(b.end) - minutesOf(b.start), 0);
  return minutesOf(rule.endTime) - minutesOf(rule.startTime) - breaks;
}

const overlaps = (a: Interval, b: { start: Date; end: Date | null }) =>
  a.start < (b.end ?? new Date(8.64e15)) && b.start < a.end;

/** The intervals of one local day, DST policy applied (see the header). */
export function dayIntervals(rule: RuleShape, day: string, zone: string): Interval[] {
  const dayEnd = zonedToInstant(day, rule.endTime, zone).getTime();
  const out: Interval[] = [];
  let lastEnd = -Infinity;
  for (const [startMinute] of wallPieces(rule)) {
    const start = zonedToInstant(day, hhmm(startMinute), zone).getTime();
    const end = start + rule.slotMinutes * 60_000;
    if (end > dayEnd || start < lastEnd) continue;
    out.push({ start: new Date(start), end: new Date(end) });
    lastEnd = end;
  }
  return out;
}

/**
 * Every slot the rule yields that starts in [from, to), leaving out pieces covered by `blackouts`
 * (reported in `skipped`, with the first blackout that covers each).
 */
export function expandRule(rule: RuleShape, window: { from: Date; to: Date }, zone: string, blackouts: Blackout[] = []): Expansion {
  const slots: Interval[] = [];
  const skipped: Expansion["skipped"] = [];
  if (window.to <= window.from) return { slots, skipped };
  // A local day's pieces may start up to a day either side of its UTC date; widen, then filter.
  const fromDay = addDays(localDateOf(window.from, zone), -1);
  const toDay = addDays(localDateOf(window.to, zone), 1);
  for (const day of ruleDays(rule, fromDay, toDay)) {
    for (const piece of dayIntervals(rule, day, zone)) {
      if (piece.start < window.from || piece.start >= window.to) continue;
      const blackout = blackouts.find((b) => overlaps(piece, b));
      if (blackout) skipped.push({ ...piece, blackout });
      else slots.push(piece);
    }
  }
  return { slots, skipped };
}

/** Working minutes per ISO week (keyed by the week's Monday) over [fromDay, toDay]. */
export function weeklyWorkMinutes(rules: RuleShape[], fromDay: string, toDay: string): Map<string, number> {
  const weeks = new Map<string, number>();
  for (const rule of rules) {
    const perDay = workMinutesPerDay(rule);
    for (const day of ruleDays(rule, fromDay, toDay)) {
      const monday = addDays(day, 1 - isoWeekday(day));
      weeks.set(monday, (weeks.get(monday) ?? 0) + perDay);
    }
  }
  return weeks;
}

/** A `date` column may come back as a Date or a string depending on the path it took. */
export const dayOf = (value: unknown): string =>
  value instanceof Date ? value.toISOString().slice(0, 10) : String(value).slice(0, 10);

/** The engine's view of a stored rule. */
export function ruleShape(rule: AvailabilityRule): RuleShape {
  return {
    recurrence: rule.recurrence,
    validFrom: dayOf(rule.validFrom),
    validUntil: rule.validUntil ? dayOf(rule.validUntil) : null,
    startTime: rule.startTime,
    endTime: rule.endTime,
    breaks: rule.breaks,
    slotMinutes: rule.slotMinutes,
    bufferMinutes: rule.bufferMinutes,
  };
}
