/** Calendar helpers for test data: days from today, local times in a zone, a zone where it is now midday. */
import { addDays, isoWeekday, zonedToInstant } from "@clinic/shared";

/** The zone `buildClinic` gives a clinic unless told otherwise. */
export const ZONE = "Europe/London";

/** A calendar day `days` from today (UTC), as YYYY-MM-DD. */
export function dayFromNow(days: number): string {
  return addDays(new Date().toISOString().slice(0, 10), days);
}

/** The instant of local `time` ("HH:MM") on `date` in ZONE. */
export const at = (date: string, time: string) => zonedToInstant(date, time, ZONE);

/** The Monday `weeks` weeks after this week's (UTC calendar). */
export function mondayIn(weeks: number): string {
  const today = new Date().toISOString().slice(0, 10);
  return addDays(today, 1 - isoWeekday(today) + 7 * weeks);
}

/**
 * A fixed-offset zone (Etc/GMT±N) in which it is now between 12:00 and 13:00, so that "today" and a
 * few hours either side are one local day, and quiet hours (21:00–08:00) are far, whenever a suite runs.
 */
export function middayZone(now = new Date()): string {
  const offset = 12 - now.getUTCHours();
  // Etc/GMT signs are inverted: Etc/GMT-3 is UTC+3.
  return offset === 0 ? "Etc/GMT" : `Etc/GMT${offset > 0 ? "-" : "+"}${Math.abs(offset)}`;
}
