/**
 * The home page per role (docs/web.md "Home"): a patient's next appointment with its live estimate
 * and what they can do; a doctor's day at a glance; reception's and the clinic admin's today figures
 * for their clinic; the platform admin's system status. Each links on to the screen that does the work.
 */
import { useId } from "react";
import { MY_TOPIC, appointmentListSchema, doctorSchema, queueMetricsReplySchema, type AppointmentView } from "@clinic/shared";
import { useStaffClinics } from "../components/ClinicPicker";
import { Async } from "../components/States";
import { api } from "../lib/api";
import { formatDateTime, formatMinutes, formatTime } from "../lib/format";
import { Link } from "../lib/router";
import type { Session } from "../lib/session";
import { useLoad } from "../lib/useLoad";
import { useTopic } from "../lib/useTopic";
import { MY_APPOINTMENTS, refreshMyVisitsOn } from "../lib/myVisits";
import { SystemStatus } from "./Status";
import { loadClinics, loadDoctor } from "../lib/directory";

export function Home({ session }: { session: Session }) {
  const role = session.user.role;
  return (
    <>
      <section className="panel" aria-labelledby="welcome-heading">
        <h1 id="welcome-heading">Welcome, {session.user.displayName}</h1>
      </section>
      {role === "patient" && <PatientHome />}
      {role === "doctor" && session.user.doctorId && <DoctorHome doctorId={session.user.doctorId} />}
      {(role === "receptionist" || role === "clinic_admin") && <StaffHome session={session} />}
      {role === "platform_admin" && (
        <>
          <section className="panel home-links"><Link className="button" to="/admin/staff">Review doctors awaiting approval</Link> <Link className="button button-quiet" to="/admin">Open the clinic admin</Link></section>
          <SystemStatus />
        </>
      )}
    </>
  );
}

/** The patient's next visit (time in its clinic's zone, the live estimate on the day) and what to do next. */
function PatientHome() {
  const id = useId();
  const next = useLoad([MY_APPOINTMENTS, "next"], async (signal) => {
    const { items } = await api("/appointments?scope=mine&when=upcoming", { schema: appointmentListSchema, signal });
    const visit = items.find((a) => a.status === "scheduled" || a.status === "checked_in" || a.status === "pending") ?? null;
    if (!visit) return null;
    const [doctor, clinics] = await Promise.all([loadDoctor(visit.doctorId), loadClinics()]);
    const clinic = clinics.find((c) => c.id === visit.clinicId);
    return { visit, doctor: doctor.displayName, clinic: clinic?.name ?? "", zone: clinic?.timeZone ?? "UTC" };
  });
  // The visit changed, or its live estimate moved: read it again (the estimate is the board's and the display's).
  useTopic<null>(MY_TOPIC, {
    fromSnapshot: () => null,
    reduce: (state) => state,
    onEvent: refreshMyVisitsOn,
  });
  return (
    <section className="panel" aria-labelledby={`${id}-h`} data-testid="home-next">
      <h2 id={`${id}-h`}>Your next appointment</h2>
      <Async state={next.state} retry={() => void next.reload()} isEmpty={(found) => found === null}
        empty={<>No appointment booked. <Link to="/patient/doctors">Find a doctor to book</Link></>}>
        {(found) => found && <NextVisit {...found} />}
      </Async>
    </section>
  );
}

function NextVisit({ visit, doctor, clinic, zone }: { visit: AppointmentView; doctor: string; clinic: string; zone: string }) {
  return (
    <>
      <p className="home-big"><strong>{formatDateTime(visit.start, zone)}</strong> with {doctor}{clinic ? ` at ${clinic}` : ""}</p>
      {visit.status === "pending" && <p>Held for you: finish the booking before the hold ends.</p>}
      {visit.expectedStartAt && <p>Expected to start at <strong>{formatTime(visit.expectedStartAt, zone)}</strong> (live estimate).</p>}
      <p className="home-links">
        <Link className="button" to="/patient/appointments">Manage or check in</Link>
        <Link className="button button-quiet" to="/patient/doctors">Book another</Link>
      </p>
    </>
  );
}

/** A doctor: approval first when pending, else the day's screens. */
function DoctorHome({ doctorId }: { doctorId: string }) {
  const doctor = useLoad(["doctor", doctorId], (signal) => api(`/doctors/${doctorId}`, { schema: doctorSchema, signal }));
  const status = doctor.state.data?.approval?.status;
  return (
    <section className="panel home-links" data-testid="home-doctor">
      {status && status !== "approved" && (
        <p>Your profile is {status === "pending" ? "waiting for approval" : "not approved"}: see <Link to="/doctor/credentials">your registration and documents</Link>.</p>
      )}
      <Link className="button" to="/doctor/day">Open my day</Link>
      <Link className="button button-quiet" to="/doctor/availability">Set my availability</Link>
      <Link className="button button-quiet" to="/doctor/time-off">Plan time off</Link>
    </section>
  );
}

/** Reception and clinic admins: today's queue figures for their clinic, and the day's screens. */
function StaffHome({ session }: { session: Session }) {
  const id = useId();
  const staff = useStaffClinics(session);
  const clinic = staff.clinic;
  const metrics = useLoad(
    ["clinic-queue-figures", clinic?.id],
    async (signal) => (clinic ? (await api(`/clinics/${clinic.id}/queue/metrics`, { schema: queueMetricsReplySchema, signal })).clinic : null),
  );
  return (
    <section className="panel" aria-labelledby={`${id}-h`} data-testid="home-staff">
      <h2 id={`${id}-h`}>Today{clinic ? ` at ${clinic.name}` : ""}</h2>
      <Async state={metrics.state} retry={() => void metrics.reload()} isEmpty={(m) => m === null} empty="You are not on the staff of any clinic.">
        {(m) => m && (
          <dl className="home-figures">
            <div><dt>Waiting</dt><dd>{m.waiting}</dd></div>
            <div><dt>Seen</dt><dd>{m.served}</dd></div>
            <div><dt>Longest wait now</dt><dd>{formatMinutes(m.currentWaitMinutes)}</dd></div>
            <div><dt>Average wait</dt><dd>{m.averageWaitMinutes === null ? "—" : formatMinutes(m.averageWaitMinutes)}</dd></div>
          </dl>
        )}
      </Async>
      <p className="home-links">
        <Link className="button" to="/reception/queue">Open the queue board</Link>
        <Link className="button button-quiet" to="/reception/day">Open the day calendar</Link>
        {session.user.role === "clinic_admin" && <Link className="button button-quiet" to="/admin">Open the clinic admin</Link>}
      </p>
    </section>
  );
}
