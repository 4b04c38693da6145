/**
 * The calendar library lays events out in the browser's own time; the clinic's day is in the
 * clinic's zone. So the calendar is given "wall" dates: browser-local Dates whose clock reads what
 * the clinic's clock reads at that instant (10:00 in the clinic is drawn at 10:00 wherever the desk
 * is), and dates it hands back are read the same way.
 */
import { localDateOf, localTimeOf, zonedToInstant } from "@clinic/shared";

/** The clinic's wall clock at `instant`, as a browser-local Date. */
export function toWall(instant: string | Date, timeZone: string): Date {
  const at = new Date(instant);
  const noon = wallOfDay(localDateOf(at, timeZone));
  const [hours, minutes] = localTimeOf(at, timeZone).split(":").map(Number) as [number, number];
  noon.setHours(hours, minutes, 0, 0);
  return noon;
}

const pad = (n: number) => String(n).padStart(2, "0");

/** Midday of a local day ("YYYY-MM-DD") as a wall Date: the calendar's "date shown". */
export function wallOfDay(date: string): Date {
  const [year, month, day] = date.split("-").map(Number) as [number, number, number];
  return new Date(year, month - 1, day, 12);
}

/** A wall Date's local day, "YYYY-MM-DD". */
export function wallDate(wall: Date): string {
  return `${wall.getFullYear()}-${pad(wall.getMonth() + 1)}-${pad(wall.getDate())}`;
}

/** The instant a wall Date stands for in the clinic's zone. */
export function fromWall(wall: Date, timeZone: string): Date {
  return zonedToInstant(wallDate(wall), `${pad(wall.getHours())}:${pad(wall.getMinutes())}`, timeZone);
}
