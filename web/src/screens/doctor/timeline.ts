/**
 * The rows of a doctor's day, in time order: appointments (slot or elastic), walk-ins and
 * emergencies, blocked time, runs of free slots, and breaks (gaps of at least 15 minutes between
 * working periods, as the ETA engine counts them: docs/queue-eta.md).
 */
import type { QueueEntryView, StaffSlotView } from "@clinic/shared";
import type { DayAppointment } from "./dayState";

/** As the ETA engine: shorter gaps are buffers, not breaks. */
export const MIN_BREAK_MINUTES = 15;

export type PatientStatus = "on_hold" | "booked" | "checked_in" | "called" | "in_room" | "done" | "no_show" | "left";

export const STATUS_LABEL: Record<PatientStatus, string> = {
  on_hold: "On hold",
  booked: "Booked",
  checked_in: "Checked in",
  called: "Called",
  in_room: "In room",
  done: "Done",
  no_show: "No-show",
  left: "Left",
};

export type TimelineRow =
  | { type: "patient"; key: string; start: string; end: string | null; appointment: DayAppointment | null; entry: QueueEntryView | null; patientId: string; status: PatientStatus }
  | { type: "free"; key: string; start: string; end: string; count: number }
  | { type: "blocked"; key: string; start: string; end: string; note: string | null }
  | { type: "break"; key: string; start: string; end: string };

/** The queue's status wins once the patient is there; before that the appointment's. */
export function patientStatus(appointment: DayAppointment | null, entry: QueueEntryView | null): PatientStatus {
  if (entry) {
    if (entry.status === "waiting") return "checked_in";
    return entry.status;
  }
  switch (appointment?.status) {
    case "pending":
      return "on_hold";
    case "checked_in":
      return "checked_in";
    case "in_consultation":
      return "in_room";
    case "completed":
      return "done";
    case "no_show":
      return "no_show";
    default:
      return "booked";
  }
}

const ms = (iso: string) => Date.parse(iso);

export function buildTimeline(appointments: DayAppointment[], queue: QueueEntryView[], slots: StaffSlotView[]): TimelineRow[] {
  const rows: TimelineRow[] = [];
  const entryOf = new Map(queue.filter((e) => e.appointmentId).map((e) => [e.appointmentId!, e]));
  const taken = new Set<string>();
  for (const appointment of appointments) {
    if (appointment.status === "cancelled" || appointment.status === "expired") continue;
    const entry = entryOf.get(appointment.id) ?? null;
    if (appointment.slotId) taken.add(appointment.slotId);
    rows.push({ type: "patient", key: appointment.id, start: appointment.start, end: appointment.end, appointment, entry, patientId: appointment.patientId, status: patientStatus(appointment, entry) });
  }
  for (const entry of queue) {
    if (entry.appointmentId) continue;
    if (entry.slotId) taken.add(entry.slotId);
    rows.push({ type: "patient", key: entry.id, start: entry.startedAt ?? entry.calledAt ?? entry.arrivedAt, end: null, appointment: null, entry, patientId: entry.patientId, status: patientStatus(null, entry) });
  }

  const sorted = [...slots].sort((a, b) => ms(a.start) - ms(b.start));
  // Runs of free slots and of blocked slots become one row each.
  let run: { type: "free" | "blocked"; start: string; end: string; count: number; note: string | null } | null = null;
  const flush = () => {
    if (!run) return;
    rows.push(run.type === "free"
      ? { type: "free", key: `free-${run.start}`, start: run.start, end: run.end, count: run.count }
      : { type: "blocked", key: `blocked-${run.start}`, start: run.start, end: run.end, note: run.note });
    run = null;
  };
  for (const slot of sorted) {
    const kind = slot.status === "available" ? "free" : slot.status === "blocked" ? "blocked" : null;
    if (!kind || taken.has(slot.id)) {
      flush();
      continue;
    }
    // Back to back (within a minute: real slots are on whole minutes).
    if (run && run.type === kind && ms(slot.start) - ms(run.end) < 60_000) {
      run.end = slot.end;
      run.count += 1;
    } else {
      flush();
      run = { type: kind, start: slot.start, end: slot.end, count: 1, note: slot.note };
    }
  }
  flush();

  // Breaks: gaps between working periods (any slot, elastic bookings).
  const periods = [...slots.map((s) => [ms(s.start), ms(s.end)] as const), ...appointments.filter((a) => !a.slotId).map((a) => [ms(a.start), ms(a.end)] as const)].sort(
    (a, b) => a[0] - b[0],
  );
  let reach = periods[0]?.[1];
  for (const [start, end] of periods.slice(1)) {
    if (reach !== undefined && start - reach >= MIN_BREAK_MINUTES * 60_000) {
      rows.push({ type: "break", key: `break-${reach}`, start: new Date(reach).toISOString(), end: new Date(start).toISOString() });
    }
    reach = Math.max(reach ?? end, end);
  }
  return rows.sort((a, b) => ms(a.start) - ms(b.start));
}
