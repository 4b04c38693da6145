/** A ticking clock for countdowns (hold expiry, offer deadlines). */
import { useEffect, useState } from "react";

/** Now, re-read every `intervalMs` (default 1 s) while `active`. */
export function useNow(active = true, intervalMs = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) return;
    const timer = window.setInterval(() => setNow(Date.now()), intervalMs);
    return () => window.clearInterval(timer);
  }, [active, intervalMs]);
  return now;
}

/** Whole seconds from `now` until `iso` (0 when passed or absent). */
export const secondsUntil = (iso: string | null, now: number) => (iso ? Math.max(0, Math.ceil((Date.parse(iso) - now) / 1000)) : 0);
