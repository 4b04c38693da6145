/**
 * The clinic's live day for reception: the `clinic:{clinicId}` topic (today's appointments and
 * queue, then appointment.*, queue.* and eta.updated events) folded into one state, plus patient
 * names by id (the events carry ids only).
 */
import { useEffect, useState } from "react";
import {
  clinicSnapshotSchema,
  eventData,
  isEventOf,
  patientLookupReplySchema,
  topics,
  type AppointmentLive,
  type QueueEntryView,
  type ReceivedEvent,
} from "@clinic/shared";
import { api } from "../../lib/api";
import { byId, isCurrent, upsert, type ById } from "../../lib/liveRows";
import { useTopic } from "../../lib/useTopic";

/** An appointment as the staff topics carry it (docs/realtime.md, `AppointmentChange`). */
export type LiveAppointment = AppointmentLive;

export interface DoctorEta {
  lateByMinutes: number;
  state: string;
}

export interface ClinicLive {
  appointments: ById<LiveAppointment>;
  queue: ById<QueueEntryView>;
  /** ETAs of appointments not yet arrived, from eta.updated. */
  appointmentEta: Record<string, string>;
  doctors: Record<string, DoctorEta>;
}

/** Appointments that still belong on today's board (cancelled, expired and rescheduled-away ones drop off). */
const LIVE_STATUSES = new Set(["pending", "scheduled", "checked_in", "in_consultation", "completed", "no_show"]);

export function fromClinicSnapshot(raw: unknown): ClinicLive {
  const snapshot = clinicSnapshotSchema.parse(raw);
  return {
    appointments: byId(snapshot.appointments, (a) => a.appointmentId),
    queue: byId(snapshot.queue, (entry) => entry.id),
    appointmentEta: {},
    doctors: {},
  };
}

/** Applies one in-order event; rows keep the higher version, so a late duplicate never wins. */
export function reduceClinic(state: ClinicLive, event: ReceivedEvent): ClinicLive {
  if (isEventOf(event, "appointment")) {
    const change = eventData(event);
    if (!change) return state;
    if (!isCurrent(change, state.appointments[change.appointmentId])) return state;
    const appointments = { ...state.appointments };
    if (LIVE_STATUSES.has(change.status)) appointments[change.appointmentId] = change;
    else delete appointments[change.appointmentId];
    return { ...state, appointments };
  }
  if (isEventOf(event, "queue")) {
    const entry = eventData(event);
    return entry ? { ...state, queue: upsert(state.queue, entry.id, entry) } : state;
  }
  if (event.type === "eta.updated") {
    const eta = eventData(event);
    // The staff topics' estimate (a display's carries no clinic).
    if (!eta || !("clinicId" in eta)) return state;
    const queue = { ...state.queue };
    const appointmentEta = { ...state.appointmentEta };
    for (const item of eta.entries) {
      if ("entryId" in item) {
        const entry = queue[item.entryId];
        if (entry) queue[item.entryId] = { ...entry, expectedAt: item.expectedAt };
      } else appointmentEta[item.appointmentId] = item.expectedAt;
    }
    return { ...state, queue, appointmentEta, doctors: { ...state.doctors, [eta.doctorId]: { lateByMinutes: eta.lateByMinutes, state: eta.state } } };
  }
  return state;
}

export function useClinicLive(clinicId: string | null, onEvent?: (event: ReceivedEvent) => void) {
  return useTopic<ClinicLive>(clinicId ? topics.clinic(clinicId) : null, { fromSnapshot: fromClinicSnapshot, reduce: reduceClinic, onEvent });
}

const STATUS_RANK: Record<string, number> = { in_room: 0, called: 1, waiting: 2 };

/** The server's queue order (docs/queue.md): in the room, called, then waiting in likely call order. */
export function byCallOrder(a: QueueEntryView, b: QueueEntryView): number {
  const key = (e: QueueEntryView) => [
    STATUS_RANK[e.status] ?? 3,
    e.kind === "emergency" ? 0 : 1,
    e.manualRank ?? Number.MAX_SAFE_INTEGER,
    Date.parse(e.appointmentStart ?? e.arrivedAt),
    Date.parse(e.arrivedAt),
  ];
  const ka = key(a);
  const kb = key(b);
  for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return ka[i]! - kb[i]!;
  return a.id.localeCompare(b.id);
}

/**
 * Patient names by id for the given ids (appointment events carry ids only): asks the reception
 * lookup for the ids it has not resolved yet, in one request per batch.
 */
export function usePatientNames(clinicId: string | null, ids: string[]): Record<string, string> {
  const [names, setNames] = useState<Record<string, string>>({});
  const missing = [...new Set(ids)].filter((id) => !(id in names)).sort();
  const key = missing.join(",");
  useEffect(() => {
    if (!clinicId || !key) return;
    const controller = new AbortController();
    const batch = key.split(",").slice(0, 100);
    api(`/clinics/${clinicId}/queue/patients?ids=${batch.join(",")}`, { schema: patientLookupReplySchema, signal: controller.signal })
      .then((reply) => {
        const found = Object.fromEntries(reply.items.map((p) => [p.id, p.fullName]));
        // Ids the clinic does not know still resolve (to "Unknown patient"), so they are not asked for again.
        setNames((previous) => ({ ...previous, ...Object.fromEntries(batch.map((id) => [id, found[id] ?? "Unknown patient"])) }));
      })
      .catch(() => undefined);
    return () => controller.abort();
  }, [clinicId, key]);
  return names;
}
