/**
 * Today's queue for the doctor: call next (with the room to announce), the called / in-room patient
 * with their ticket in large type and the actions for their state, and who is waiting in call order.
 * Every action sends the entry's version; a 409 VERSION_CONFLICT re-reads the queue and says so.
 * A doctor has one called patient and one in the room: call next / start while another holds the
 * place is 409 ALREADY_CALLED / ALREADY_IN_ROOM, whose detail names that patient's ticket.
 */
import { useId, useState } from "react";
import { callNextReplySchema, queueEntryViewSchema, type ClinicSummary, type QueueEntryView } from "@clinic/shared";
import { TextField } from "../../components/Field";
import { ApiError, api } from "../../lib/api";
import { formatTime } from "../../lib/format";
import { callOrder, isActive } from "./dayState";

type Action = "start" | "finish" | "send-back" | "no-show";
const ACTIONS: Record<QueueEntryView["status"], { action: Action; label: string }[]> = {
  called: [
    { action: "start", label: "Start" },
    { action: "send-back", label: "Send back" },
    { action: "no-show", label: "No-show" },
  ],
  in_room: [
    { action: "finish", label: "Finish" },
    { action: "send-back", label: "Send back" },
  ],
  waiting: [],
  done: [],
  left: [],
  no_show: [],
};

const DONE_MESSAGE: Record<Action, string> = { start: "is in the room", finish: "is done", "send-back": "was sent back to the queue", "no-show": "was marked no-show" };

interface Props {
  doctorId: string;
  clinic: ClinicSummary;
  queue: QueueEntryView[];
  expected: Record<string, string>;
  putEntry(entry: QueueEntryView): void;
  refreshQueue(): Promise<void>;
}

export function QueuePanel({ doctorId, clinic, queue, expected, putEntry, refreshQueue }: Props) {
  const id = useId();
  const [room, setRoom] = useState("");
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const current = queue.filter((e) => isActive(e) && e.doctorId === doctorId).sort((a, b) => Date.parse(b.calledAt ?? "") - Date.parse(a.calledAt ?? ""));
  const waiting = callOrder(queue.filter((e) => e.status === "waiting"), expected);

  async function attempt(work: () => Promise<void>) {
    if (busy) return;
    setBusy(true);
    setProblem(null);
    setNotice(null);
    try {
      await work();
    } catch (error) {
      if (error instanceof ApiError && (error.code === "VERSION_CONFLICT" || error.code === "ILLEGAL_TRANSITION")) {
        setProblem("This patient was changed by someone else; the queue has been refreshed. Check it and try again.");
        await refreshQueue().catch(() => undefined);
      } else if (error instanceof ApiError && (error.code === "ALREADY_CALLED" || error.code === "ALREADY_IN_ROOM")) {
        // "A-007 is already called: start, send back or mark no-show first"; it may have been called
        // from another screen, so re-read the queue to show it with its actions.
        setProblem(error.message);
        await refreshQueue().catch(() => undefined);
      } else {
        setProblem(error instanceof Error ? error.message : "Something went wrong.");
      }
    } finally {
      setBusy(false);
    }
  }

  const callNext = () =>
    attempt(async () => {
      const reply = await api(`/doctors/${doctorId}/queue/call-next`, {
        method: "POST",
        body: { clinicId: clinic.id, ...(room.trim() ? { room: room.trim() } : {}) },
        schema: callNextReplySchema,
      });
      if (!reply.entry) return setNotice("Nobody is waiting.");
      putEntry(reply.entry);
      setNotice(`Called ${reply.entry.ticket} · ${reply.entry.patientName}`);
    });

  const act = (entry: QueueEntryView, action: Action) =>
    attempt(async () => {
      const updated = await api(`/queue-entries/${entry.id}/${action}`, { method: "POST", body: { version: entry.version }, schema: queueEntryViewSchema });
      putEntry(updated);
      setNotice(`${updated.ticket} · ${updated.patientName} ${DONE_MESSAGE[action]}.`);
    });

  return (
    <section className="panel doctor-queue" aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`}>Queue</h2>
      <div className="doctor-call-next-row">
        <TextField label="Room (optional)" value={room} onChange={(e) => setRoom(e.target.value)} placeholder="Room 7" maxLength={32} />
        <button type="button" className="button" onClick={() => void callNext()} disabled={busy}>Call next</button>
      </div>
      <p role="status" className="doctor-queue-notice">{notice}</p>
      {problem && <p className="form-error" role="alert">{problem}</p>}

      {current.length > 0 && (
        <ul className="doctor-current-patients" aria-label="With you now">
          {current.map((entry) => (
            <li key={entry.id} className={`doctor-current-patient doctor-status-${entry.status}`} data-testid="current-patient">
              <span className="doctor-current-ticket" aria-label={`Ticket ${entry.ticket}`}>{entry.ticket}</span>
              <span className="doctor-current-name">{entry.patientName}</span>
              <span className={`badge doctor-patient-status doctor-patient-${entry.status === "called" ? "called" : "in_room"}`}>
                {entry.status === "called" ? `Called${entry.room ? ` to ${entry.room}` : ""}` : "In room"}
              </span>
              <span className="doctor-current-actions">
                {ACTIONS[entry.status].map(({ action, label }) => (
                  <button key={action} type="button" className={action === "start" || action === "finish" ? "button" : "button button-quiet"}
                    onClick={() => void act(entry, action)} disabled={busy} aria-label={`${label} ${entry.ticket}`}>
                    {label}
                  </button>
                ))}
              </span>
            </li>
          ))}
        </ul>
      )}

      <h3>Waiting ({waiting.length})</h3>
      {waiting.length === 0 ? (
        <p className="state state-empty">Nobody is waiting.</p>
      ) : (
        <ol className="doctor-waiting-list" data-testid="waiting-list">
          {waiting.map((entry) => {
            const eta = expected[entry.id] ?? entry.expectedAt;
            return (
              <li key={entry.id}>
                <span className="mono doctor-waiting-ticket">{entry.ticket}</span>
                <span>{entry.patientName}</span>
                <span className="doctor-muted">
                  {entry.kind === "emergency" ? "Emergency" : entry.kind === "walk_in" ? "Walk-in" : entry.appointmentStart ? `Booked ${formatTime(entry.appointmentStart, clinic.timeZone)}` : "Booked"}
                  {entry.doctorId === null ? " · any doctor" : ""}
                </span>
                <span className="doctor-muted">{eta ? `Expected ${formatTime(eta, clinic.timeZone)}` : "No estimate yet"}</span>
              </li>
            );
          })}
        </ol>
      )}
    </section>
  );
}
