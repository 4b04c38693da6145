/** Times are shown in the clinic's time zone (a patient may be elsewhere); money in minor units. */

/**
 * The clock of the clinic's place: 24-hour for a clinic in Europe (a UK desk reads 14:30, not
 * 02:30 PM, whatever the browser's language), the browser's own habit elsewhere.
 */
export const hourCycleOf = (timeZone: string) => (timeZone.startsWith("Europe/") ? ({ hourCycle: "h23" } as const) : {});

export function formatTime(iso: string, timeZone: string): string {
  return new Intl.DateTimeFormat(undefined, { timeZone, hour: "2-digit", minute: "2-digit", ...hourCycleOf(timeZone) }).format(new Date(iso));
}

export function formatDate(iso: string, timeZone: string): string {
  return new Intl.DateTimeFormat(undefined, { timeZone, weekday: "short", day: "numeric", month: "short" }).format(new Date(iso));
}

export function formatDateTime(iso: string, timeZone: string): string {
  return `${formatDate(iso, timeZone)}, ${formatTime(iso, timeZone)}`;
}

/** "2026-11-22" for an instant, in the given zone. */
export function localDate(iso: string | Date, timeZone: string): string {
  return new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(new Date(iso));
}

/** "4:05" from seconds (a hold countdown), "1:02:03" past an hour. */
export function formatCountdown(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const hms = [Math.floor(s / 3600), Math.floor((s % 3600) / 60), s % 60];
  const [h, m, sec] = hms as [number, number, number];
  const pad = (n: number) => String(n).padStart(2, "0");
  return h > 0 ? `${h}:${pad(m)}:${pad(sec)}` : `${m}:${pad(sec)}`;
}

export function formatMinutes(minutes: number): string {
  if (minutes < 60) return `${Math.round(minutes)} min`;
  return `${Math.floor(minutes / 60)} h ${Math.round(minutes % 60)} min`;
}

export function formatMoney(minor: number, currency: string): string {
  return new Intl.NumberFormat(undefined, { style: "currency", currency }).format(minor / 100);
}

/**
 * "Times are Greenwich Mean Time (Europe/London)" when the clinic's zone is not the browser's (a
 * patient abroad, a traveller), so a time on screen is never read in the wrong zone; null otherwise.
 */
export function zoneNote(timeZone: string, now = new Date()): string | null {
  const browser = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const offset = (zone: string) => new Intl.DateTimeFormat("en-GB", { timeZone: zone, timeZoneName: "longOffset" }).formatToParts(now).find((p) => p.type === "timeZoneName")?.value;
  if (browser === timeZone || offset(browser) === offset(timeZone)) return null;
  const name = new Intl.DateTimeFormat(undefined, { timeZone, timeZoneName: "long" }).formatToParts(now).find((p) => p.type === "timeZoneName")?.value ?? timeZone;
  return `Times are ${name} (${timeZone}), the clinic's time.`;
}
