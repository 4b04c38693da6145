/**
 * My day: the doctor's timeline at one clinic for a chosen day (today by default), live from
 * `doctor:{doctorId}`; today also shows the queue with its actions and the running-late banner.
 */
import { useId, useState } from "react";
import { localDateOf, type ClinicSummary } from "@clinic/shared";
import { ClinicPicker } from "../../components/ClinicPicker";
import { LiveIndicator } from "../../components/LiveIndicator";
import { Async, ErrorState } from "../../components/States";
import type { Session } from "../../lib/session";
import { etaTimes } from "./dayState";
import { LateBanner } from "./LateBanner";
import { QueuePanel } from "./QueuePanel";
import { Timeline } from "./Timeline";
import { buildTimeline } from "./timeline";
import { useDoctorClinics, useDoctorDay } from "./useDoctorDay";

export function MyDay({ session }: { session: Session }) {
  const doctorId = session.user.doctorId;
  if (!doctorId) return <section className="panel"><h1>My day</h1><p>This account has no doctor profile.</p></section>;
  return <DoctorClinics doctorId={doctorId} />;
}

function DoctorClinics({ doctorId }: { doctorId: string }) {
  const clinics = useDoctorClinics(doctorId);
  const [chosen, setChosen] = useState<string | null>(null);
  return (
    <Async state={clinics.state} retry={() => void clinics.reload()} isEmpty={(list) => list.length === 0} empty="You do not work at any clinic yet.">
      {(list) => {
        const clinic = list.find((c) => c.id === chosen) ?? list[0]!;
        return <Day key={clinic.id} doctorId={doctorId} clinic={clinic} clinics={list} onClinic={setChosen} />;
      }}
    </Async>
  );
}

function Day({ doctorId, clinic, clinics, onClinic }: { doctorId: string; clinic: ClinicSummary; clinics: ClinicSummary[]; onClinic(id: string): void }) {
  const id = useId();
  const today = localDateOf(new Date(), clinic.timeZone);
  const [date, setDate] = useState(today);
  const day = useDoctorDay(doctorId, clinic, date);
  const isToday = date === today;
  const expected = etaTimes(day.eta).byEntry;
  const slots = day.slots.data ?? [];
  const rows = buildTimeline(day.appointments, day.queue, slots);
  const failed = day.day.kind === "error" ? day.day.message : day.slots.kind === "error" ? day.slots.message : null;

  return (
    <>
      <section className="panel" aria-labelledby={`${id}-heading`}>
        <div className="doctor-day-head">
          <h1 id={`${id}-heading`}>My day</h1>
          <LiveIndicator status={day.status} detail={day.error} />
        </div>
        <div className="doctor-day-controls">
          <ClinicPicker clinics={clinics} value={clinic.id} onChange={onClinic} />
          <div className="field">
            <label htmlFor={`${id}-date`}>Day</label>
            <input id={`${id}-date`} type="date" value={date} onChange={(e) => e.target.value && setDate(e.target.value)} />
          </div>
          {!isToday && <button type="button" className="button button-quiet" onClick={() => setDate(today)}>Back to today</button>}
        </div>
        <p className="doctor-muted">{clinic.name} · times in {clinic.timeZone}</p>
      </section>

      {isToday && <LateBanner clinic={clinic} eta={day.eta} queue={day.queue} appointments={day.appointments} nameOf={day.nameOf} />}
      {isToday && <QueuePanel doctorId={doctorId} clinic={clinic} queue={day.queue} expected={expected} putEntry={day.putEntry} refreshQueue={day.refreshQueue} />}

      <section className="panel" aria-labelledby={`${id}-timeline`}>
        <h2 id={`${id}-timeline`}>{isToday ? "Today" : date}</h2>
        {failed && <ErrorState message={failed} retry={() => { void day.reloadDay(); void day.reloadSlots(); }} />}
        {day.day.data === undefined && day.day.kind === "loading" ? (
          <p className="state state-loading" role="status">Loading…</p>
        ) : (
          <Timeline rows={rows} clinic={clinic} nameOf={day.nameOf} />
        )}
      </section>
    </>
  );
}
