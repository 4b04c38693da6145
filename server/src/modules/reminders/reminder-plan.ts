/**
 * When an appointment's reminders go out: a pure function of the appointment's start, the clinic's
 * zone, the patient's quiet hours and "now". Wall-clock work (08:00 on the day, quiet windows) is
 * done in the clinic's zone with the shared zone helpers, so DST days come out right.
 */
import { addDays, localDateOf, localTimeOf, minutesOf, zonedToInstant } from "@clinic/shared";
import type { QuietHours } from "../notifications";

export const reminderKinds = ["day-before", "morning", "two-hours"] as const;
export type ReminderKind = (typeof reminderKinds)[number];

/** Local wall-clock time of the morning-of reminder. */
export const MORNING_AT = "08:00";
/** Two reminders planned closer together than this collapse into the earlier one. */
export const COLLAPSE_MS = 30 * 60_000;
const HOUR = 3_600_000;

export interface PlannedReminder {
  kind: ReminderKind;
  at: Date;
}

export interface PlanInput {
  startsAt: Date;
  zone: string;
  now: Date;
  quietHours: QuietHours | null;
}

/** The instants each kind is due at, before quiet hours. */
function nominal(startsAt: Date, zone: string): PlannedReminder[] {
  return [
    { kind: "day-before", at: new Date(startsAt.getTime() - 24 * HOUR) },
    { kind: "morning", at: zonedToInstant(localDateOf(startsAt, zone), MORNING_AT, zone) },
    { kind: "two-hours", at: new Date(startsAt.getTime() - 2 * HOUR) },
  ];
}

/**
 * The quiet window (as instants) that contains `at`, or null when `at` is outside it. The window is
 * [start, end) in local time and wraps midnight when start > end; start = end means no window.
 */
export function quietWindowAround(at: Date, zone: string, quiet: QuietHours): { start: Date; end: Date } | null {
  const from = minutesOf(quiet.start);
  const to = minutesOf(quiet.end);
  if (from === to) return null;
  const day = localDateOf(at, zone);
  const minute = minutesOf(localTimeOf(at, zone));
  if (from < to) {
    return minute >= from && minute < to ? { start: zonedToInstant(day, quiet.start, zone), end: zonedToInstant(day, quiet.end, zone) } : null;
  }
  if (minute >= from) return { start: zonedToInstant(day, quiet.start, zone), end: zonedToInstant(addDays(day, 1), quiet.end, zone) };
  if (minute < to) return { start: zonedToInstant(addDays(day, -1), quiet.start, zone), end: zonedToInstant(day, quiet.end, zone) };
  return null;
}

/**
 * The reminders still to send, in time order. Each kind starts at its nominal instant (24 h and 2 h
 * before, 08:00 local on the day); one that falls in quiet hours moves to the window's end if that is
 * still before the appointment, else to one minute before the window starts. Reminders not strictly
 * between now and the start are dropped, and of two within 30 minutes the earlier one is kept.
 */
export function planReminders(input: PlanInput): PlannedReminder[] {
  const start = input.startsAt.getTime();
  const moved = nominal(input.startsAt, input.zone).map(({ kind, at }) => {
    const window = input.quietHours && at.getTime() < start ? quietWindowAround(at, input.zone, input.quietHours) : null;
    if (!window) return { kind, at };
    return { kind, at: window.end.getTime() < start ? window.end : new Date(window.start.getTime() - 60_000) };
  });
  const candidates = moved
    .filter(({ at }) => at.getTime() > input.now.getTime() && at.getTime() < start)
    .sort((a, b) => a.at.getTime() - b.at.getTime() || reminderKinds.indexOf(a.kind) - reminderKinds.indexOf(b.kind));
  const kept: PlannedReminder[] = [];
  for (const candidate of candidates) {
    const last = kept.at(-1);
    if (!last || candidate.at.getTime() - last.at.getTime() >= COLLAPSE_MS) kept.push(candidate);
  }
  return kept;
}

