/**
 * The ETA engine (docs/queue-eta.md): a pure simulation of one doctor's rest of the day at one clinic.
 * No I/O: the job (eta.service.ts) reads the day, calls `estimateDay`, and stores what comes out.
 *
 * The model, in short:
 * - The doctor is free when the patient in the room is expected to finish (started_at + expected
 *   length), or now if that has passed (an overrunning consultation pushes everyone to "now + …",
 *   so ETAs drift later on every run until it ends).
 * - Whenever free, the doctor takes the next patient by `callOrder` among those who are there:
 *   everyone already waiting, plus each later appointment from its booked start (we assume patients
 *   come on time). With nobody there, the doctor idles until the next booked start.
 * - A checked-in patient may be seen before their booked time (call-next takes arrived appointments
 *   in time order whenever the doctor is free); a patient who has not arrived is never expected
 *   before their booked start.
 * - No consultation starts inside a break; it starts when the break ends. A consultation already
 *   running is not cut by a break.
 * - Expected length: rolling mean of the doctor's last ROLLING_WINDOW consultations today for the
 *   service, else for any service, else the service's duration, else the booked length, else
 *   DEFAULT_MINUTES.
 */

/** How many of today's most recent consultations make the rolling mean. */
export const ROLLING_WINDOW = 10;
/** Length assumed when nothing else is known (a walk-in with no service, on a doctor's first visit of the day). */
export const DEFAULT_MINUTES = 15;
/** A gap between two working periods shorter than this is a buffer the doctor eats when late, not a break. */
export const MIN_BREAK_MINUTES = 15;

const MINUTE = 60_000;

export type EtaKind = "appointment" | "walk_in" | "emergency";
export type DoctorState = "consulting" | "overrunning" | "on_break" | "idle";

/** What decides a visit's expected length. */
export interface Visit {
  serviceId?: string | null;
  /** The service's catalogue duration. */
  serviceMinutes?: number | null;
  /** The booked length (appointment) or the taken walk-in slot's length. */
  bookedMinutes?: number | null;
}

export interface WaitingEntry extends Visit {
  entryId: string;
  kind: EtaKind;
  /** `called`: on the way to the room; goes first. */
  status: "waiting" | "called";
  arrivedAt: Date;
  calledAt?: Date | null;
  /** A receptionist's reorder: ranked entries go before the rest, lowest first. */
  manualRank?: number | null;
  appointmentId?: string | null;
  /** The appointment's booked start (kind `appointment`). */
  bookedStart?: Date | null;
}

export interface LaterAppointment extends Visit {
  appointmentId: string;
  bookedStart: Date;
}

export interface InRoom extends Visit {
  entryId: string;
  startedAt: Date;
  bookedStart?: Date | null;
}

export interface Interval {
  start: Date;
  end: Date;
}

export interface DayInput {
  now: Date;
  inRoom: InRoom | null;
  /** Today's finished consultations of this doctor, oldest first. */
  finished: { serviceId: string | null; minutes: number }[];
  waiting: WaitingEntry[];
  later: LaterAppointment[];
  breaks: Interval[];
  /** When the doctor's day starts (first working period); nobody is expected before it unless the doctor has started. */
  opensAt?: Date | null;
}

export interface Estimate {
  entries: { entryId: string; expectedAt: Date }[];
  appointments: { appointmentId: string; expectedAt: Date }[];
  /** Positive: running late (minutes), negative: early. */
  lateByMinutes: number;
  state: DoctorState;
  /** When the patient in the room is expected to be done (null with nobody in the room). */
  inRoomEndsAt: Date | null;
}

/** Expected minutes of a visit from today's actual lengths, with the documented fallbacks. */
export function expectedMinutes(finished: DayInput["finished"], visit: Visit): number {
  const recent = (rows: DayInput["finished"]) => rows.slice(-ROLLING_WINDOW);
  const mean = (rows: DayInput["finished"]) => rows.reduce((sum, row) => sum + row.minutes, 0) / rows.length;
  const sameService = visit.serviceId ? recent(finished.filter((row) => row.serviceId === visit.serviceId)) : [];
  if (sameService.length > 0) return mean(sameService);
  const any = recent(finished);
  if (any.length > 0) return mean(any);
  return visit.serviceMinutes ?? visit.bookedMinutes ?? DEFAULT_MINUTES;
}

/** A candidate for the doctor's next call: a waiting entry, or a later appointment once it is due. */
interface Candidate extends Visit {
  id: string;
  source: "entry" | "appointment";
  kind: EtaKind;
  status: "waiting" | "called";
  arrivedAt: Date;
  calledAt: Date | null;
  manualRank: number | null;
  bookedStart: Date | null;
}

/**
 * The call rule as ETAs approximate it (queue.call-next is authoritative): called patients first
 * (by call time), then emergencies (by arrival), then a receptionist's ranked entries (lowest rank),
 * then appointments (by booked time), then walk-ins (by arrival) — call-next's rule
 * (queue.call-next.ts) without its walk-in interleave. Ties: arrival, then id.
 */
export function callOrder(a: Candidate, b: Candidate): number {
  const klass = (c: Candidate) =>
    c.status === "called" ? 0 : c.kind === "emergency" ? 1 : c.manualRank !== null ? 2 : c.kind === "appointment" ? 3 : 4;
  const key = (c: Candidate): number => {
    const k = klass(c);
    if (k === 0) return (c.calledAt ?? c.arrivedAt).getTime();
    if (k === 2) return c.manualRank!;
    if (k === 3) return (c.bookedStart ?? c.arrivedAt).getTime();
    return c.arrivedAt.getTime();
  };
  return klass(a) - klass(b) || key(a) - key(b) || a.arrivedAt.getTime() - b.arrivedAt.getTime() || a.id.localeCompare(b.id);
}

/** The end of the break `at` falls in (breaks chain: a break ending inside another continues to its end). */
function afterBreaks(at: number, breaks: Interval[]): number {
  let t = at;
  for (let moved = true; moved; ) {
    moved = false;
    for (const b of breaks) {
      if (b.start.getTime() <= t && t < b.end.getTime()) {
        t = b.end.getTime();
        moved = true;
      }
    }
  }
  return t;
}

export function estimateDay(input: DayInput): Estimate {
  const now = input.now.getTime();
  const length = (visit: Visit) => expectedMinutes(input.finished, visit) * MINUTE;

  const inRoomEnds = input.inRoom ? input.inRoom.startedAt.getTime() + length(input.inRoom) : null;
  let t = Math.max(now, inRoomEnds ?? now);
  const started = input.inRoom !== null || input.finished.length > 0;
  if (!started && input.opensAt) t = Math.max(t, input.opensAt.getTime());

  const waiting: Candidate[] = input.waiting.map((entry) => ({
    ...entry,
    id: entry.entryId,
    source: "entry",
    calledAt: entry.calledAt ?? null,
    manualRank: entry.manualRank ?? null,
    bookedStart: entry.bookedStart ?? null,
  }));
  const later: Candidate[] = [...input.later]
    .sort((a, b) => a.bookedStart.getTime() - b.bookedStart.getTime())
    .map((appointment) => ({
      ...appointment,
      id: appointment.appointmentId,
      source: "appointment",
      kind: "appointment",
      status: "waiting",
      // In the simulation a later patient arrives at their booked start.
      arrivedAt: appointment.bookedStart,
      calledAt: null,
      manualRank: null,
    }));

  const entries: Estimate["entries"] = [];
  const appointments: Estimate["appointments"] = [];
  const seenAppointments: { booked: number; expected: number }[] = [];
  while (waiting.length > 0 || later.length > 0) {
    t = afterBreaks(t, input.breaks);
    const due = later.filter((candidate) => candidate.bookedStart!.getTime() <= t);
    const pool = [...waiting, ...due].sort(callOrder);
    const next = pool[0];
    if (!next) {
      t = later[0]!.bookedStart!.getTime();
      continue;
    }
    const from = next.source === "entry" ? waiting : later;
    from.splice(from.indexOf(next), 1);
    if (next.source === "entry") entries.push({ entryId: next.id, expectedAt: new Date(t) });
    else appointments.push({ appointmentId: next.id, expectedAt: new Date(t) });
    if (next.bookedStart) seenAppointments.push({ booked: next.bookedStart.getTime(), expected: t });
    t += length(next);
  }

  return {
    entries,
    appointments,
    lateByMinutes: lateness(input, seenAppointments, inRoomEnds),
    state: stateAt(input, now, inRoomEnds),
    inRoomEndsAt: inRoomEnds === null ? null : new Date(inRoomEnds),
  };
}

/**
 * How late the doctor runs: for the next appointment by booked time still to be seen, expected minus
 * booked start; with none, for the appointment in the room, expected end minus booked end; else 0.
 */
function lateness(input: DayInput, seen: { booked: number; expected: number }[], inRoomEnds: number | null): number {
  const next = [...seen].sort((a, b) => a.booked - b.booked)[0];
  if (next) return Math.round((next.expected - next.booked) / MINUTE);
  const room = input.inRoom;
  if (room?.bookedStart && inRoomEnds !== null && room.bookedMinutes) {
    const bookedEnd = room.bookedStart.getTime() + room.bookedMinutes * MINUTE;
    return Math.round((Math.max(inRoomEnds, input.now.getTime()) - bookedEnd) / MINUTE);
  }
  return 0;
}

function stateAt(input: DayInput, now: number, inRoomEnds: number | null): DoctorState {
  if (inRoomEnds !== null) return now > inRoomEnds ? "overrunning" : "consulting";
  return input.breaks.some((b) => b.start.getTime() <= now && now < b.end.getTime()) ? "on_break" : "idle";
}

/**
 * Breaks from the doctor's schedule of the day: blocked slots, and gaps of at least
 * MIN_BREAK_MINUTES between working periods (any other slot or elastic block). Before the first and
 * after the last working period there is no break: the opening is `opensAt`, and a doctor who runs
 * past the end of the day simply keeps going.
 */
export function breaksFromSchedule(working: Interval[], blocked: Interval[]): Interval[] {
  const merged: Interval[] = [];
  for (const period of [...working].sort((a, b) => a.start.getTime() - b.start.getTime())) {
    const last = merged[merged.length - 1];
    if (last && period.start.getTime() <= last.end.getTime()) {
      if (period.end > last.end) last.end = period.end;
    } else merged.push({ start: period.start, end: period.end });
  }
  const gaps: Interval[] = [];
  for (let i = 1; i < merged.length; i += 1) {
    const gap = { start: merged[i - 1]!.end, end: merged[i]!.start };
    if (gap.end.getTime() - gap.start.getTime() >= MIN_BREAK_MINUTES * MINUTE) gaps.push(gap);
  }
  return [...gaps, ...blocked].sort((a, b) => a.start.getTime() - b.start.getTime());
}
