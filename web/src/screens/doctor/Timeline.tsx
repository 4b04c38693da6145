/** The day as a list of time rows; each patient's state is a text badge (with a shape), not colour alone. */
import type { ClinicSummary } from "@clinic/shared";
import { Empty } from "../../components/States";
import { formatTime } from "../../lib/format";
import { STATUS_LABEL, type TimelineRow } from "./timeline";

const MARK: Record<string, string> = {
  on_hold: "◌",
  booked: "○",
  checked_in: "◐",
  called: "◉",
  in_room: "●",
  done: "✓",
  no_show: "✕",
  left: "↩",
};

function when(row: TimelineRow, tz: string): string {
  const start = formatTime(row.start, tz);
  return row.end ? `${start}–${formatTime(row.end, tz)}` : start;
}

export function Timeline({ rows, clinic, nameOf }: { rows: TimelineRow[]; clinic: ClinicSummary; nameOf: (patientId: string) => string | null }) {
  const tz = clinic.timeZone;
  if (rows.length === 0) return <Empty>Nothing scheduled at {clinic.name} on this day.</Empty>;
  return (
    <ol className="doctor-timeline" data-testid="timeline">
      {rows.map((row) => {
        if (row.type !== "patient") {
          const label = row.type === "free" ? `Free · ${row.count} slot${row.count === 1 ? "" : "s"}` : row.type === "blocked" ? "Blocked / time off" : "Break";
          return (
            <li key={row.key} className={`doctor-timeline-row doctor-timeline-${row.type}`}>
              <span className="doctor-timeline-time">{when(row, tz)}</span>
              <span className="doctor-timeline-what">{label}{row.type === "blocked" && row.note ? ` · ${row.note}` : ""}</span>
            </li>
          );
        }
        const { entry, appointment } = row;
        const name = entry?.patientName ?? nameOf(row.patientId) ?? "Patient";
        const kind = entry?.kind === "walk_in" ? "Walk-in" : entry?.kind === "emergency" ? "Emergency" : appointment?.elasticAllocationId ? "Elastic" : null;
        return (
          <li key={row.key} className={`doctor-timeline-row doctor-timeline-patient doctor-patient-${row.status}`} data-testid="timeline-patient" data-status={row.status}>
            <span className="doctor-timeline-time">{when(row, tz)}</span>
            <span className="doctor-timeline-what">
              <span className="doctor-timeline-name">{name}</span>
              {kind && <span className="badge doctor-kind-badge">{kind}</span>}
              {entry && <span className="mono doctor-timeline-ticket">{entry.ticket}</span>}
            </span>
            <span className={`badge doctor-patient-status doctor-patient-${row.status}`}>
              <span aria-hidden="true">{MARK[row.status]} </span>
              {STATUS_LABEL[row.status]}
            </span>
          </li>
        );
      })}
    </ol>
  );
}
