/**
 * "Running late": shown when the waiting patients' ETAs are later than their booked starts. The
 * figure is the ETA job's `lateByMinutes` (live from `eta.updated`); before the first event of this
 * visit it is worked out from the stored ETAs (expectedAt − appointmentStart) of those waiting.
 */
import { useId } from "react";
import type { ClinicSummary, EtaUpdated, QueueEntryView } from "@clinic/shared";
import { formatMinutes, formatTime } from "../../lib/format";
import type { DayAppointment } from "./dayState";

/** Below this the doctor is on time, give or take. */
export const LATE_THRESHOLD_MINUTES = 5;

interface LateRow {
  key: string;
  label: string;
  name: string | null;
  expectedAt: string;
  bookedAt: string | null;
}

export function lateness(eta: EtaUpdated | undefined, queue: QueueEntryView[]): number {
  if (eta) return eta.lateByMinutes;
  let late = 0;
  for (const entry of queue) {
    if (entry.status !== "waiting" || !entry.expectedAt || !entry.appointmentStart) continue;
    late = Math.max(late, Math.round((Date.parse(entry.expectedAt) - Date.parse(entry.appointmentStart)) / 60_000));
  }
  return late;
}

function lateRows(eta: EtaUpdated | undefined, queue: QueueEntryView[], appointments: DayAppointment[], nameOf: (patientId: string) => string | null): LateRow[] {
  const entries = new Map(queue.map((e) => [e.id, e]));
  const booked = new Map(appointments.map((a) => [a.id, a]));
  if (!eta) {
    return queue
      .filter((e) => e.status === "waiting" && e.expectedAt)
      .sort((a, b) => Date.parse(a.expectedAt!) - Date.parse(b.expectedAt!))
      .map((e) => ({ key: e.id, label: e.ticket, name: e.patientName, expectedAt: e.expectedAt!, bookedAt: e.appointmentStart }));
  }
  return eta.entries.flatMap((item): LateRow[] => {
    if ("entryId" in item) {
      const entry = entries.get(item.entryId);
      if (entry && entry.status !== "waiting") return [];
      return [{ key: item.entryId, label: item.ticket, name: entry?.patientName ?? null, expectedAt: item.expectedAt, bookedAt: entry?.appointmentStart ?? null }];
    }
    const appointment = booked.get(item.appointmentId);
    return [{ key: item.appointmentId, label: "Not arrived", name: appointment ? nameOf(appointment.patientId) : null, expectedAt: item.expectedAt, bookedAt: appointment?.start ?? null }];
  });
}

export function LateBanner(props: {
  clinic: ClinicSummary;
  eta: EtaUpdated | undefined;
  queue: QueueEntryView[];
  appointments: DayAppointment[];
  nameOf: (patientId: string) => string | null;
}) {
  const id = useId();
  const late = lateness(props.eta, props.queue);
  const show = late >= LATE_THRESHOLD_MINUTES;
  const rows = show ? lateRows(props.eta, props.queue, props.appointments, props.nameOf) : [];
  const tz = props.clinic.timeZone;
  return (
    // The live region stays mounted so the banner's arrival is announced.
    <div role="status" aria-live="polite">
      {show && (
        <section className="doctor-late-banner" aria-labelledby={`${id}-title`} data-testid="late-banner">
          <h2 id={`${id}-title`}>
            <span className="doctor-late-icon" aria-hidden="true" />Running {formatMinutes(late)} late
          </h2>
          {props.eta?.state === "overrunning" && <p>The consultation in the room is running over its expected length.</p>}
          {rows.length > 0 && (
            <table className="doctor-late-table">
              <caption className="visually-hidden">Expected times of the waiting patients</caption>
              <thead>
                <tr><th scope="col">Ticket</th><th scope="col">Patient</th><th scope="col">Booked</th><th scope="col">Expected</th></tr>
              </thead>
              <tbody>
                {rows.map((row) => (
                  <tr key={row.key}>
                    <td className="mono">{row.label}</td>
                    <td>{row.name ?? "—"}</td>
                    <td>{row.bookedAt ? formatTime(row.bookedAt, tz) : "Walk-in"}</td>
                    <td><strong>{formatTime(row.expectedAt, tz)}</strong></td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
      )}
    </div>
  );
}
