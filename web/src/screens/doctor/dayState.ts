/**
 * The live state of a doctor's day: the `doctor:{doctorId}` topic (appointments of today + 7 days,
 * today's queue) plus `eta.updated`, merged with what HTTP reads and action replies bring. Rows are
 * keyed by id and the higher `version` wins, so an event, a reply and a re-read can arrive in any order.
 */
import {
  doctorSnapshotSchema,
  eventData,
  isEventOf,
  type AppointmentLive,
  type AppointmentView,
  type EtaUpdated,
  type QueueEntryView,
  type ReceivedEvent,
} from "@clinic/shared";
import { byId, upsert, type ById } from "../../lib/liveRows";

/** One appointment as the day shows it, whichever source it came from. */
export interface DayAppointment {
  id: string;
  patientId: string;
  /** Whose visit it is now: a handover moves it to another doctor, and off this day. */
  doctorId: string;
  clinicId: string;
  slotId: string | null;
  elasticAllocationId: string | null;
  start: string;
  end: string;
  status: AppointmentView["status"];
  version: number;
}

export interface DoctorLive {
  appointments: ById<DayAppointment>;
  queue: ById<QueueEntryView>;
  /** The latest `eta.updated` per clinic. */
  eta: Record<string, EtaUpdated>;
}

function fromChange(change: AppointmentLive): DayAppointment {
  const { appointmentId, patientId, doctorId, clinicId, slotId, elasticAllocationId, start, end, status, version } = change;
  return { id: appointmentId, patientId, doctorId, clinicId, slotId, elasticAllocationId, start, end, status, version };
}

export function fromView(view: AppointmentView): DayAppointment {
  const { id, patientId, doctorId, clinicId, slotId, elasticAllocationId, start, end, status, version } = view;
  return { id, patientId, doctorId, clinicId, slotId, elasticAllocationId, start, end, status, version };
}

export function liveFromSnapshot(snapshot: unknown): DoctorLive {
  const parsed = doctorSnapshotSchema.parse(snapshot);
  return {
    appointments: byId(parsed.appointments.map(fromChange), (a) => a.id),
    queue: byId(parsed.queue, (entry) => entry.id),
    eta: {},
  };
}

/** Applies one in-order event of `doctor:{doctorId}`; slot and elastic events are re-read over HTTP. */
export function reduceLive(state: DoctorLive, event: ReceivedEvent): DoctorLive {
  if (isEventOf(event, "appointment")) {
    const change = eventData(event);
    if (!change) return state;
    const row = fromChange(change);
    return { ...state, appointments: upsert(state.appointments, row.id, row) };
  }
  if (isEventOf(event, "queue")) {
    const entry = eventData(event);
    if (!entry) return state;
    return { ...state, queue: upsert(state.queue, entry.id, entry) };
  }
  if (event.type === "eta.updated") {
    const eta = eventData(event);
    // The staff topics' estimate (a display's carries no clinic).
    if (!eta || !("clinicId" in eta)) return state;
    return { ...state, eta: { ...state.eta, [eta.clinicId]: eta } };
  }
  return state;
}

/** Expected times by entry id and by appointment id, from the clinic's latest `eta.updated`. */
export function etaTimes(eta: EtaUpdated | undefined): { byEntry: Record<string, string>; byAppointment: Record<string, string> } {
  const byEntry: Record<string, string> = {};
  const byAppointment: Record<string, string> = {};
  for (const item of eta?.entries ?? []) {
    if ("entryId" in item) byEntry[item.entryId] = item.expectedAt;
    else byAppointment[item.appointmentId] = item.expectedAt;
  }
  return { byEntry, byAppointment };
}

const ACTIVE = new Set(["called", "in_room"]);
const KIND_ORDER = { emergency: 0, appointment: 1, walk_in: 1 } as const;

/**
 * Waiting entries in likely call order: emergencies, ranked entries, then by expected time, else
 * booked time (appointments) or arrival (walk-ins). An approximation of call-next, which decides.
 */
export function callOrder(waiting: QueueEntryView[], expected: Record<string, string>): QueueEntryView[] {
  const when = (e: QueueEntryView) => Date.parse(expected[e.id] ?? e.expectedAt ?? e.appointmentStart ?? e.arrivedAt);
  return [...waiting].sort(
    (a, b) =>
      KIND_ORDER[a.kind] - KIND_ORDER[b.kind] ||
      (a.manualRank ?? 10_000) - (b.manualRank ?? 10_000) ||
      when(a) - when(b) ||
      Date.parse(a.arrivedAt) - Date.parse(b.arrivedAt),
  );
}

export function isActive(entry: QueueEntryView): boolean {
  return ACTIVE.has(entry.status);
}
