/**
 * A doctor's week of slots, live: the free slots of the 7 days from GET /slots, overlaid with the
 * `slots:{doctorId}` topic (snapshot + `slot.*` events, higher version wins), so a slot someone else
 * holds or books changes colour and state while the patient looks. Used to book and to reschedule.
 */
import { useEffect, useId, useMemo, useRef, useState, type ReactNode } from "react";
import { addDays, localTimeOf, slotSearchPageSchema, topics, zonedToInstant } from "@clinic/shared";
import { LiveIndicator } from "../../components/LiveIndicator";
import { Async } from "../../components/States";
import { api, ApiError } from "../../lib/api";
import { formatDate, formatTime, localDate, zoneNote } from "../../lib/format";
import { useLoad } from "../../lib/useLoad";
import { byId, mergeByVersion } from "../../lib/liveRows";
import { useMediaQuery } from "../../lib/useMediaQuery";
import { useTopic } from "../../lib/useTopic";
import { reduceSlots, slotsFromSnapshot, slotState, type SlotLive, type SlotMap, type SlotState } from "./live";

/** The free slots of [from, to) from the public search, every page. */
async function freeSlots(doctorId: string, from: Date, to: Date, signal: AbortSignal): Promise<SlotLive[]> {
  const out: SlotLive[] = [];
  let cursor: string | null = null;
  do {
    const query = new URLSearchParams({ doctorId, from: from.toISOString(), to: to.toISOString(), limit: "200" });
    if (cursor) query.set("cursor", cursor);
    const page = await api(`/slots?${query}`, { schema: slotSearchPageSchema, signal });
    for (const item of page.items) {
      if (item.type !== "slot") continue; // elastic offers need a service; see docs/web-patient.md
      out.push({ slotId: item.id, doctorId: item.doctorId, clinicId: item.clinicId, start: item.start, end: item.end,
        status: item.status, kind: item.kind, version: item.version, holdExpiresAt: item.holdExpiresAt ?? null });
    }
    cursor = page.nextCursor;
  } while (cursor);
  return out;
}

const STATE_TEXT: Record<SlotState, string> = { free: "Free", held: "Held", booked: "Booked", gone: "Unavailable" };
const STATE_ICON: Record<SlotState, string> = { free: "✓", held: "◐", booked: "✕", gone: "–" };

export const SLOT_TAKEN_MESSAGE = "This slot was just taken by someone else. The week has been refreshed: please pick another time.";

export interface SlotWeekProps {
  doctorId: string;
  /** First local day shown ("YYYY-MM-DD" in `timeZone`). */
  from: string;
  timeZone: string;
  clinicNames: ReadonlyMap<string, string>;
  onWeek: (from: string) => void;
  /** Called with a free slot; a 409 SLOT_TAKEN/SLOT_BUSY it throws is shown as "just taken". */
  onPick: (slot: SlotLive) => Promise<void>;
  pickLabel: string;
  /** A slot to leave out (the appointment being rescheduled). */
  excludeSlotId?: string | null;
}

export function SlotWeek({ doctorId, from, timeZone, clinicNames, onWeek, onPick, pickLabel, excludeSlotId }: SlotWeekProps) {
  const id = useId();
  const today = localDate(new Date(), timeZone);
  const start = from < today ? today : from;
  const days = useMemo(() => Array.from({ length: 7 }, (_, i) => addDays(start, i)), [start]);
  const weekStart = zonedToInstant(days[0]!, "00:00", timeZone);
  const weekEnd = zonedToInstant(addDays(days[6]!, 1), "00:00", timeZone);

  const rest = useLoad(
    ["free-slots", doctorId, weekStart.getTime(), weekEnd.getTime()],
    (signal) => freeSlots(doctorId, new Date(Math.max(Date.now(), weekStart.getTime())), weekEnd, signal),
  );
  const topic = useTopic<SlotMap>(topics.slots(doctorId), { fromSnapshot: slotsFromSnapshot, reduce: reduceSlots });
  // After a (re)subscribe, read the week again so nothing changed while away is missed (beyond the
  // snapshot's 7 days only REST knows the slots).
  const wasLive = useRef(false);
  useEffect(() => {
    if (topic.status === "live" && !wasLive.current) void rest.reload();
    wasLive.current = topic.status === "live";
  }, [topic.status]);

  // Slots we were refused (409) stay taken until an event says otherwise.
  const [taken, setTaken] = useState<ReadonlyMap<string, number>>(new Map());
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  // Times as rows and days as columns where seven columns fit; a day strip on a phone.
  const wide = useMediaQuery("(min-width: 45rem)");

  const slots = useMemo(() => {
    const merged = mergeByVersion(byId(rest.state.data ?? [], (slot) => slot.slotId), topic.state ?? {});
    const inWeek = Object.values(merged).filter((slot) => {
      const t = Date.parse(slot.start);
      return t >= weekStart.getTime() && t < weekEnd.getTime() && slot.slotId !== excludeSlotId;
    });
    return inWeek.sort((a, b) => a.start.localeCompare(b.start));
  }, [rest.state.data, topic.state, weekStart.getTime(), weekEnd.getTime(), excludeSlotId]);

  const now = Date.now();
  const stateOf = (slot: SlotLive): SlotState => {
    const refusedAt = taken.get(slot.slotId);
    if (refusedAt !== undefined && slot.version <= refusedAt) return "held";
    if (Date.parse(slot.start) <= now) return "gone";
    return slotState(slot, now);
  };

  async function pick(slot: SlotLive) {
    setBusy(slot.slotId);
    setError(null);
    try {
      await onPick(slot);
    } catch (caught) {
      if (caught instanceof ApiError && caught.status === 409 && ["SLOT_TAKEN", "SLOT_BUSY"].includes(caught.code)) {
        setTaken((previous) => new Map(previous).set(slot.slotId, slot.version));
        setError(SLOT_TAKEN_MESSAGE);
        void rest.reload();
      } else {
        setError(caught instanceof Error ? caught.message : "Something went wrong.");
      }
    } finally {
      setBusy(null);
    }
  }

  return (
    <section className="panel" aria-labelledby={`${id}-week`}>
      <div className="week-head">
        <h2 id={`${id}-week`}>
          {formatDate(weekStart.toISOString(), timeZone)} – {formatDate(zonedToInstant(days[6]!, "12:00", timeZone).toISOString(), timeZone)}
        </h2>
        <LiveIndicator status={topic.status} detail={topic.error} />
      </div>
      {zoneNote(timeZone) && <p className="field-hint" data-testid="zone-note">{zoneNote(timeZone)}</p>}
      <div className="week-nav">
        <button type="button" className="button button-quiet" disabled={start <= today} onClick={() => onWeek(addDays(start, -7))}>
          ← Previous week
        </button>
        <button type="button" className="button button-quiet" onClick={() => onWeek(addDays(start, 7))}>
          Next week →
        </button>
      </div>
      <p className="slot-legend">
        <span className="slot-key slot-free">{STATE_ICON.free} Free</span>
        <span className="slot-key slot-held">{STATE_ICON.held} Held by someone</span>
        <span className="slot-key slot-booked">{STATE_ICON.booked} Booked</span>
      </p>
      {error && <p className="form-error" role="alert">{error}</p>}
      <Async state={rest.state} retry={() => void rest.reload()}>
        {() => {
          const shown = slots.filter((slot) => stateOf(slot) !== "gone");
          const cell = (slot: SlotLive, label: string, compact: boolean) => {
            const state = stateOf(slot);
            const time = formatTime(slot.start, timeZone);
            const where = clinicNames.size > 1 ? clinicNames.get(slot.clinicId) : null;
            return (
              <button type="button" className={`slot slot-${state}${compact ? " slot-compact" : ""}`} data-state={state} data-slot-id={slot.slotId}
                disabled={state !== "free" || busy !== null}
                aria-label={`${label} ${time} ${STATE_TEXT[state]}${where ? ` at ${where}` : ""}${state === "free" ? `: ${pickLabel}` : ""}`}
                onClick={() => void pick(slot)}>
                {!compact && <span className="slot-time">{time}</span>}
                <span className="slot-state" aria-hidden="true">{STATE_ICON[state]} {busy === slot.slotId ? "…" : STATE_TEXT[state]}</span>
                {where && <span className="slot-where" aria-hidden="true">{where}</span>}
              </button>
            );
          };
          if (shown.length === 0) return <p className="state state-empty" data-testid="week">No free times this week. Try the next week, or join the waitlist.</p>;
          return wide ? <WeekGrid days={days} slots={shown} timeZone={timeZone} cell={cell} /> : <DayStrip days={days} slots={shown} timeZone={timeZone} cell={cell} />;
        }}
      </Async>
      <p className="field-hint">Times are in the clinic's time zone ({timeZone}). Slots change as other patients hold and book them.</p>
    </section>
  );
}

type Cell = (slot: SlotLive, dayLabel: string, compact: boolean) => ReactNode;
interface LayoutProps {
  days: string[];
  slots: SlotLive[];
  timeZone: string;
  cell: Cell;
}

const dayLabelOf = (day: string, timeZone: string) => formatDate(zonedToInstant(day, "12:00", timeZone).toISOString(), timeZone);

/** The week as a table: one row per start time that has a slot on any day, one column per day. */
function WeekGrid({ days, slots, timeZone, cell }: LayoutProps) {
  // Rows keyed by the 24-hour wall time (it sorts as text); shown as the clinic's clock reads.
  const wall = (slot: SlotLive) => localTimeOf(new Date(slot.start), timeZone);
  const rows = [...new Map(slots.map((slot) => [wall(slot), formatTime(slot.start, timeZone)])).entries()].sort(([a], [b]) => a.localeCompare(b));
  const at = new Map(slots.map((slot) => [`${localDate(slot.start, timeZone)} ${wall(slot)}`, slot]));
  return (
    <div className="week-grid-wrap" data-testid="week">
      <table className="week-grid">
        <caption className="visually-hidden">Times (rows) by day (columns)</caption>
        <thead>
          <tr>
            <th scope="col"><span className="visually-hidden">Time</span></th>
            {days.map((day) => {
              const free = slots.filter((slot) => localDate(slot.start, timeZone) === day).length;
              return <th key={day} scope="col" className={free ? undefined : "week-grid-quiet"}>{dayLabelOf(day, timeZone)}</th>;
            })}
          </tr>
        </thead>
        <tbody>
          {rows.map(([time, shown]) => (
            <tr key={time}>
              <th scope="row">{shown}</th>
              {days.map((day) => {
                const slot = at.get(`${day} ${time}`);
                return <td key={day}>{slot && cell(slot, dayLabelOf(day, timeZone), true)}</td>;
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** A phone: the seven days as a strip (how many free times each), then the chosen day's times. */
function DayStrip({ days, slots, timeZone, cell }: LayoutProps) {
  const onDay = (day: string) => slots.filter((slot) => localDate(slot.start, timeZone) === day);
  const firstWithTimes = days.find((day) => onDay(day).length > 0) ?? days[0]!;
  const [chosen, setChosen] = useState<string | null>(null);
  const day = chosen && days.includes(chosen) ? chosen : firstWithTimes;
  const label = dayLabelOf(day, timeZone);
  const daySlots = onDay(day);
  return (
    <div data-testid="week">
      <div className="day-strip" role="group" aria-label="Days">
        {days.map((d) => {
          const instant = zonedToInstant(d, "12:00", timeZone);
          const free = onDay(d).filter((slot) => slot.status === "available").length;
          return (
            <button key={d} type="button" className="day-chip" aria-pressed={d === day} onClick={() => setChosen(d)}>
              <span className="day-chip-name">{new Intl.DateTimeFormat("en-GB", { weekday: "short", timeZone }).format(instant)}</span>
              <span className="day-chip-date">{new Intl.DateTimeFormat("en-GB", { day: "numeric", timeZone }).format(instant)}</span>
              <span className="day-chip-free">{free ? `${free} free` : "none"}</span>
            </button>
          );
        })}
      </div>
      <section className="week-day" aria-label={label}>
        <h3>{label}</h3>
        {daySlots.length === 0 ? <p className="state state-empty">No free times</p> : (
          <ul className="slot-list">{daySlots.map((slot) => <li key={slot.slotId}>{cell(slot, label, false)}</li>)}</ul>
        )}
      </section>
    </div>
  );
}
