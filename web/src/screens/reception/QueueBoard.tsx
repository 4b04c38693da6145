/**
 * Reception's live queue board (/reception/queue): every doctor of the clinic in a column — who is
 * in the room or called, who waits (call order, ticket, kind, arrival, ETA) and today's booked
 * patients who have not arrived (Check in). Live from `clinic:{clinicId}`; no polling.
 */
import { useCallback, useEffect, useId, useMemo, useRef, useState } from "react";
import { isEventOf, queueEntryViewSchema, queueListSchema, queueMetricsReplySchema, type ClinicSummary, type DoctorSummary, type QueueEntryView, type ReceivedEvent } from "@clinic/shared";
import { ClinicPicker, useStaffClinics } from "../../components/ClinicPicker";
import { LiveIndicator } from "../../components/LiveIndicator";
import { Async, Empty, ErrorState } from "../../components/States";
import { useNow } from "../../lib/useNow";
import { api } from "../../lib/api";
import { formatMinutes, formatTime, localDate } from "../../lib/format";
import { mergeByVersion, type ById } from "../../lib/liveRows";
import type { Session } from "../../lib/session";
import { useLoad } from "../../lib/useLoad";
import { EntryActions } from "./EntryActions";
import { useClinicDoctors } from "../../components/Doctors";
import { byCallOrder, useClinicLive, usePatientNames, type ClinicLive, type LiveAppointment } from "./live";
import { WalkInForm } from "./WalkInForm";

/** How long the entry has been in its status (waiting since arrival, called since the call, in the room since it started), ticking each half minute. */
function TimeInStatus({ entry }: { entry: QueueEntryView }) {
  const since = entry.status === "waiting" ? entry.arrivedAt : entry.status === "called" ? entry.calledAt : entry.status === "in_room" ? entry.startedAt : null;
  const now = useNow(since !== null, 30_000);
  if (!since) return null;
  const minutes = Math.max(0, Math.floor((now - Date.parse(since)) / 60_000));
  return <span className="rc-timer" data-testid={`time-in-status-${entry.id}`}>for {formatMinutes(minutes)}</span>;
}

const KIND_LABEL = { appointment: "Appointment", walk_in: "Walk-in", emergency: "Emergency" } as const;
const STATUS_LABEL: Record<string, string> = { waiting: "Waiting", called: "Called", in_room: "In room", done: "Seen", left: "Left", no_show: "No-show" };
const UNASSIGNED = "unassigned";

interface Notice {
  tone: "ok" | "alert";
  text: string;
}

/** Live entries with the newer replies of our own actions laid over them (whichever version is higher). */
function mergeEntries(live: ClinicLive | null, overrides: ById<QueueEntryView>): QueueEntryView[] {
  // The live row wins a tie: it may carry a newer ETA than our reply.
  return Object.values(mergeByVersion(overrides, live?.queue ?? {})).sort(byCallOrder);
}

function EntryRow({ entry, clinic, doctors, onNotice, onUpdated, onConflict }: {
  entry: QueueEntryView;
  clinic: ClinicSummary;
  doctors: DoctorSummary[];
  onNotice(notice: Notice): void;
  onUpdated(entry: QueueEntryView): void;
  onConflict(entry: QueueEntryView): void;
}) {
  const [open, setOpen] = useState(false);
  const tz = clinic.timeZone;
  const active = entry.status === "waiting" || entry.status === "called";
  return (
    <li className={`rc-entry rc-kind-${entry.kind}`} data-testid={`board-entry-${entry.id}`}>
      <div className="rc-entry-main">
        <span className="rc-ticket mono">{entry.ticket}</span>
        <span className="rc-name">{entry.patientName}</span>
        <span className={`badge rc-badge-${entry.kind}`}>{KIND_LABEL[entry.kind]}</span>
        {entry.manualRank !== null && entry.status === "waiting" && <span className="badge">Position {entry.manualRank}</span>}
      </div>
      <div className="rc-entry-meta">
        <span>{STATUS_LABEL[entry.status]}{entry.room ? ` · ${entry.room}` : ""}</span>
        <TimeInStatus entry={entry} />
        <span>Arrived {formatTime(entry.arrivedAt, tz)}</span>
        {entry.appointmentStart && <span>Booked {formatTime(entry.appointmentStart, tz)}</span>}
        {entry.status === "waiting" && <span>ETA {entry.expectedAt ? formatTime(entry.expectedAt, tz) : "—"}</span>}
        {entry.reason && <span>Reason: {entry.reason}</span>}
      </div>
      {active && !open && (
        <button type="button" className="button button-quiet" onClick={() => setOpen(true)} aria-label={`Manage ${entry.ticket} ${entry.patientName}`}>
          Manage
        </button>
      )}
      {open && (
        <EntryActions entry={entry} doctors={doctors} onClose={() => setOpen(false)}
          onDone={(updated, text) => {
            setOpen(false);
            onUpdated(updated);
            onNotice({ tone: "ok", text });
          }}
          onConflict={(stale) => {
            setOpen(false);
            onConflict(stale);
          }} />
      )}
    </li>
  );
}

function ExpectedRow({ appointment, name, eta, clinic, onCheckIn }: { appointment: LiveAppointment; name: string | undefined; eta: string | undefined; clinic: ClinicSummary; onCheckIn(a: LiveAppointment): Promise<void> }) {
  const [busy, setBusy] = useState(false);
  const tz = clinic.timeZone;
  const held = appointment.status === "pending";
  return (
    <li className="rc-entry rc-expected" data-testid={`board-appointment-${appointment.appointmentId}`}>
      <div className="rc-entry-main">
        <span className="rc-ticket mono">{formatTime(appointment.start, tz)}</span>
        <span className="rc-name">{name ?? "Loading name…"}</span>
        <span className="badge">{held ? "Held, not confirmed" : "Booked"}</span>
      </div>
      <div className="rc-entry-meta">
        <span>Not arrived</span>
        {eta && <span>ETA {formatTime(eta, tz)}</span>}
      </div>
      {!held && (
        <button type="button" className="button" disabled={busy}
          onClick={() => {
            setBusy(true);
            void onCheckIn(appointment).finally(() => setBusy(false));
          }}
          aria-label={`Check in ${name ?? "patient"} (${formatTime(appointment.start, tz)})`}>
          {busy ? "Checking in…" : "Check in"}
        </button>
      )}
    </li>
  );
}

export function QueueBoard({ session }: { session: Session }) {
  const id = useId();
  const staff = useStaffClinics(session);
  const clinic = staff.clinic;
  const clinicId = clinic?.id ?? null;
  const doctors = useClinicDoctors(clinicId);
  const [metricsTick, setMetricsTick] = useState(0);
  const tickTimer = useRef<ReturnType<typeof setTimeout>>(undefined);
  // Queue and ETA events change the figures: re-read them once a burst settles.
  const onEvent = useCallback((event: ReceivedEvent) => {
    if (!isEventOf(event, "queue") && event.type !== "eta.updated") return;
    clearTimeout(tickTimer.current);
    tickTimer.current = setTimeout(() => setMetricsTick((n) => n + 1), 300);
  }, []);
  useEffect(() => () => clearTimeout(tickTimer.current), []);
  const live = useClinicLive(clinicId, onEvent);
  const metrics = useLoad(
    ["queue-metrics", clinicId, metricsTick],
    async (signal) => (clinicId ? api(`/clinics/${clinicId}/queue/metrics`, { schema: queueMetricsReplySchema, signal }) : null),
  );
  const [overrides, setOverrides] = useState<Record<string, QueueEntryView>>({});
  const [notice, setNotice] = useState<Notice | null>(null);
  useEffect(() => setOverrides({}), [clinicId]);

  const entries = useMemo(() => mergeEntries(live.state, overrides), [live.state, overrides]);
  const today = clinic ? localDate(new Date(), clinic.timeZone) : "";
  const expected = useMemo(() => {
    if (!live.state || !clinic) return [];
    const arrived = new Set(entries.map((e) => e.appointmentId).filter(Boolean));
    return Object.values(live.state.appointments)
      .filter((a) => (a.status === "scheduled" || a.status === "pending") && !arrived.has(a.appointmentId) && localDate(a.start, clinic.timeZone) === today)
      .sort((a, b) => Date.parse(a.start) - Date.parse(b.start));
  }, [live.state, entries, clinic, today]);
  const names = usePatientNames(clinicId, expected.map((a) => a.patientId));

  const upsert = (entry: QueueEntryView) => setOverrides((previous) => ({ ...previous, [entry.id]: entry }));
  const refresh = async () => {
    if (!clinicId) return;
    const list = await api(`/clinics/${clinicId}/queue`, { schema: queueListSchema });
    setOverrides(Object.fromEntries(list.items.map((e) => [e.id, e])));
  };
  const onConflict = (stale: QueueEntryView) => {
    setNotice({ tone: "alert", text: `${stale.ticket} (${stale.patientName}) was changed by someone else. The board now shows the latest; check it and try again.` });
    void refresh().catch(() => undefined);
  };
  const checkIn = async (appointment: LiveAppointment) => {
    try {
      const entry = await api(`/clinics/${clinicId}/queue/check-in`, { method: "POST", body: { appointmentId: appointment.appointmentId }, schema: queueEntryViewSchema });
      upsert(entry);
      setNotice({ tone: "ok", text: `${entry.patientName} checked in as ${entry.ticket}.` });
    } catch (error) {
      setNotice({ tone: "alert", text: `Check-in failed: ${error instanceof Error ? error.message : "unknown error"}` });
    }
  };

  if (!staff.hasAny) return <section className="panel"><h1>Queue board</h1><p>You are not on the staff of any clinic.</p></section>;
  if (!clinic) return <section className="panel"><h1>Queue board</h1><Async state={staff.state} retry={() => void staff.reload()} isEmpty={() => true} empty="No clinic found.">{() => null}</Async></section>;

  const doctorList = doctors.state.data ?? [];
  const columnIds = [...new Set([...doctorList.map((d) => d.id), ...entries.map((e) => e.doctorId ?? UNASSIGNED), ...expected.map((a) => a.doctorId)])];
  const doctorName = (doctorId: string) =>
    doctorId === UNASSIGNED ? "Any doctor (unassigned)" : doctorList.find((d) => d.id === doctorId)?.displayName ?? entries.find((e) => e.doctorId === doctorId)?.doctorName ?? "Doctor";
  const rowProps = { clinic, doctors: doctorList, onNotice: setNotice, onUpdated: upsert, onConflict };

  return (
    <>
      <section className="panel rc-head" aria-labelledby={`${id}-h`}>
        <div className="rc-title">
          <h1 id={`${id}-h`}>Queue board · {clinic.name}</h1>
          <span data-testid="board-live"><LiveIndicator status={live.status} detail={live.error} /></span>
        </div>
        <ClinicPicker clinics={staff.clinics} value={clinicId} onChange={staff.choose} />
        {metrics.state.data && (
          <dl className="rc-metrics" aria-label="Today's figures">
            <div><dt>Waiting</dt><dd>{metrics.state.data.clinic.waiting}</dd></div>
            <div><dt>Seen</dt><dd>{metrics.state.data.clinic.served}</dd></div>
            <div><dt>Longest wait now</dt><dd>{formatMinutes(metrics.state.data.clinic.currentWaitMinutes)}</dd></div>
            <div><dt>Average wait</dt><dd>{metrics.state.data.clinic.averageWaitMinutes === null ? "—" : formatMinutes(metrics.state.data.clinic.averageWaitMinutes)}</dd></div>
          </dl>
        )}
        <div aria-live="polite">{notice?.tone === "ok" && <p className="rc-done" role="status">{notice.text}</p>}</div>
        {notice?.tone === "alert" && <p className="form-error" role="alert">{notice.text}</p>}
      </section>
      {/* A drawer, closed by default: the queue itself stays above the fold at 1366×768 and on a tablet. */}
      <details className="panel rc-drawer" data-testid="walk-in-drawer">
        <summary>Register a walk-in or emergency</summary>
        <WalkInForm clinic={clinic} doctors={doctorList} onRegistered={upsert} />
      </details>
      {live.state === null ? (
        live.status === "offline" ? <ErrorState message={`The live queue is unavailable: ${live.error ?? "offline"}`} /> : <p className="state" role="status">Connecting to the live queue…</p>
      ) : (
        <div className="rc-board" data-testid="queue-board">
          {columnIds.length === 0 && <Empty>No doctors or patients today.</Empty>}
          {columnIds.map((doctorId) => {
            const mine = entries.filter((e) => (e.doctorId ?? UNASSIGNED) === doctorId);
            const serving = mine.filter((e) => e.status === "called" || e.status === "in_room");
            const waiting = mine.filter((e) => e.status === "waiting");
            const coming = expected.filter((a) => a.doctorId === doctorId);
            const eta = live.state?.doctors[doctorId];
            return (
              <section key={doctorId} className="rc-column" aria-labelledby={`${id}-${doctorId}`} data-testid={`board-column-${doctorId}`}>
                <h2 id={`${id}-${doctorId}`}>{doctorName(doctorId)}</h2>
                <p className="rc-column-meta">
                  {waiting.length} waiting · {mine.filter((e) => e.status === "done").length} seen
                  {eta && eta.lateByMinutes > 0 ? ` · running ${eta.lateByMinutes} min late` : ""}
                </p>
                <h3>Called and in room</h3>
                {serving.length ? <ul className="rc-list">{serving.map((e) => <EntryRow key={e.id} entry={e} {...rowProps} />)}</ul> : <p className="rc-none">Nobody.</p>}
                <h3>Waiting, in call order</h3>
                {waiting.length ? <ol className="rc-list">{waiting.map((e) => <EntryRow key={e.id} entry={e} {...rowProps} />)}</ol> : <p className="rc-none">Nobody waiting.</p>}
                {doctorId !== UNASSIGNED && (
                  <>
                    <h3>Expected today, not arrived</h3>
                    {coming.length ? (
                      <ul className="rc-list">
                        {coming.map((a) => (
                          <ExpectedRow key={a.appointmentId} appointment={a} name={names[a.patientId]} eta={live.state?.appointmentEta[a.appointmentId]} clinic={clinic} onCheckIn={checkIn} />
                        ))}
                      </ul>
                    ) : <p className="rc-none">No one else expected.</p>}
                  </>
                )}
              </section>
            );
          })}
        </div>
      )}
    </>
  );
}
