/**
 * My appointments: upcoming and past (GET /appointments?scope=mine), re-read when the `me` topic says
 * one changed; cancel (after an in-page confirmation), reschedule, and check-in with the clinic's
 * code inside the check-in window.
 */
import { useId, useState } from "react";
import { appointmentListSchema, appointmentViewSchema, type AppointmentView, type ClinicView, type DoctorView } from "@clinic/shared";
import { FormError, TextField, useSubmit } from "../../components/Field";
import { Async } from "../../components/States";
import { api } from "../../lib/api";
import { formatDateTime, formatMoney, formatTime } from "../../lib/format";
import { Link } from "../../lib/router";
import { MY_APPOINTMENTS, refreshMyVisitsOn } from "../../lib/myVisits";
import { useLoad } from "../../lib/useLoad";
import { useNow } from "../../lib/useNow";
import { loadClinic, loadDoctor } from "../../lib/directory";
import { Notice, useMe } from "./common";
import { CheckIn } from "./CheckIn";


const STATUS_TEXT: Record<string, string> = {
  pending: "Held, not confirmed",
  scheduled: "Booked",
  checked_in: "Checked in",
  in_consultation: "In consultation",
  completed: "Completed",
  cancelled: "Cancelled",
  no_show: "Missed",
  expired: "Hold expired",
};

async function loadList(when: "upcoming" | "past", signal: AbortSignal) {
  const { items } = await api(`/appointments?scope=mine&when=${when}`, { schema: appointmentListSchema, signal });
  const [doctors, clinics] = await Promise.all([
    Promise.all([...new Set(items.map((a) => a.doctorId))].map(loadDoctor)),
    Promise.all([...new Set(items.map((a) => a.clinicId))].map(loadClinic)),
  ]);
  return {
    items: when === "past" ? [...items].reverse() : items,
    doctors: new Map(doctors.map((d) => [d.id, d])),
    clinics: new Map(clinics.map((c) => [c.id, c])),
  };
}

export function MyAppointments() {
  const id = useId();
  const upcoming = useLoad([MY_APPOINTMENTS, "upcoming"], (signal) => loadList("upcoming", signal));
  const past = useLoad([MY_APPOINTMENTS, "past"], (signal) => loadList("past", signal));
  // A change of a visit, or of its live estimate (`eta.moved`: the time the board and the display show).
  useMe(refreshMyVisitsOn);

  return (
    <>
      <Notice />
      <section className="panel" aria-labelledby={`${id}-up`}>
        <h1 id={`${id}-up`}>My appointments</h1>
        <h2>Upcoming</h2>
        <Async state={upcoming.state} retry={() => void upcoming.reload()} isEmpty={(d) => d.items.length === 0}
          empty={<>No upcoming appointments. <Link to="/patient/doctors">Find a doctor</Link></>}>
          {(data) => (
            <ul className="appointment-list" data-testid="upcoming">
              {data.items.map((a) => (
                <Appointment key={a.id} appointment={a} doctor={data.doctors.get(a.doctorId)} clinic={data.clinics.get(a.clinicId)}
                  onChanged={() => void upcoming.reload()} />
              ))}
            </ul>
          )}
        </Async>
      </section>
      <section className="panel" aria-labelledby={`${id}-past`}>
        <h2 id={`${id}-past`}>Past</h2>
        <Async state={past.state} retry={() => void past.reload()} isEmpty={(d) => d.items.length === 0} empty="No past appointments.">
          {(data) => (
            <ul className="appointment-list" data-testid="past">
              {data.items.map((a) => (
                <Appointment key={a.id} appointment={a} doctor={data.doctors.get(a.doctorId)} clinic={data.clinics.get(a.clinicId)} />
              ))}
            </ul>
          )}
        </Async>
      </section>
    </>
  );
}

function Appointment({ appointment: a, doctor, clinic, onChanged }: {
  appointment: AppointmentView;
  doctor: DoctorView | undefined;
  clinic: ClinicView | undefined;
  onChanged?: () => void;
}) {
  const zone = clinic?.timeZone ?? "UTC";
  const when = formatDateTime(a.start, zone);
  const [confirming, setConfirming] = useState(false);
  const [reason, setReason] = useState("I can no longer come");
  const now = useNow(a.status === "scheduled");
  const cancel = useSubmit(async () => {
    await api(`/appointments/${a.id}/cancel`, { method: "POST", body: { reason }, schema: appointmentViewSchema });
    setConfirming(false);
    onChanged?.();
  });
  const live = onChanged !== undefined && ["pending", "scheduled"].includes(a.status);
  const windowMinutes = clinic?.settings.checkInWindowMinutes ?? 30;
  const opensAt = Date.parse(a.start) - windowMinutes * 60_000;
  const canCheckIn = a.status === "scheduled" && now >= opensAt && now < Date.parse(a.end);
  const opensToday = a.status === "scheduled" && now < opensAt && opensAt - now < 12 * 3_600_000;

  return (
    <li className={`appointment appointment-${a.status}`} aria-label={`${when} with ${doctor?.displayName ?? "your doctor"}`}>
      <p className="appointment-when"><strong>{when}</strong> <span className="badge appointment-status">{STATUS_TEXT[a.status] ?? a.status}</span></p>
      <p>{doctor?.displayName ?? "Doctor"} · {clinic?.name ?? "Clinic"}</p>
      {a.paymentStatus === "unpaid" && a.status === "pending" && (
        <p className="patient-warning">{a.pendingMoveFrom ? "Moving your visit here: the difference to pay is" : "Payment needed:"} {formatMoney(a.amountDueMinor, a.currency)}</p>
      )}
      {a.expectedStartAt && ["scheduled", "checked_in"].includes(a.status) && (
        <p>Expected to start at <strong>{formatTime(a.expectedStartAt, zone)}</strong></p>
      )}
      {a.status === "pending" && <p><Link to={`/patient/book/${a.id}`}>Continue booking</Link></p>}
      {opensToday && <p className="field-hint">Check-in opens at {formatTime(new Date(opensAt).toISOString(), zone)}.</p>}
      {(canCheckIn || a.status === "checked_in") && <CheckIn appointment={a} zone={zone} />}
      {live && (
        <div className="actions">
          {a.status === "scheduled" && <Link className="button button-quiet" to={`/patient/appointments/${a.id}/reschedule`} aria-label={`Reschedule ${when}`}>Reschedule</Link>}
          {!confirming && (
            <button type="button" className="button button-quiet" onClick={() => setConfirming(true)} aria-label={`Cancel ${when}`}>Cancel</button>
          )}
        </div>
      )}
      {live && confirming && (
        <form className="confirm-box" onSubmit={cancel.onSubmit()} aria-label="Confirm cancellation">
          <p role="alert">Cancel {when} with {doctor?.displayName}? The time goes back to other patients.</p>
          <FormError message={cancel.formError} />
          <TextField label="Reason" value={reason} onChange={(e) => setReason(e.target.value)} error={cancel.fieldErrors.reason} />
          <div className="actions">
            <button type="submit" className="button button-danger" disabled={cancel.busy}>{cancel.busy ? "Cancelling…" : "Yes, cancel it"}</button>
            <button type="button" className="button button-quiet" onClick={() => setConfirming(false)}>Keep it</button>
          </div>
        </form>
      )}
    </li>
  );
}
