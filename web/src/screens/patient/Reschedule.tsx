/** Reschedule: the same doctor's live week; picking a free slot moves the appointment there. */
import { useId } from "react";
import { appointmentViewSchema, rescheduleAppointmentReplySchema } from "@clinic/shared";
import { Async } from "../../components/States";
import { api } from "../../lib/api";
import { formatDateTime } from "../../lib/format";
import { Link, navigate, useSearchParams } from "../../lib/router";
import { useLoad } from "../../lib/useLoad";
import { setNotice } from "./common";
import { useDoctorWithClinics } from "./DoctorWeek";
import { SlotWeek } from "./SlotWeek";
import type { SlotLive } from "./live";

export function Reschedule({ appointmentId }: { appointmentId: string }) {
  const appointment = useLoad(["appointment", appointmentId], (signal) => api(`/appointments/${appointmentId}`, { schema: appointmentViewSchema, signal }));
  return (
    <Async state={appointment.state} retry={() => void appointment.reload()}>
      {(a) => <Picker appointmentId={a.id} doctorId={a.doctorId} slotId={a.slotId} start={a.start} />}
    </Async>
  );
}

function Picker({ appointmentId, doctorId, slotId, start }: { appointmentId: string; doctorId: string; slotId: string | null; start: string }) {
  const id = useId();
  const search = useSearchParams();
  const loaded = useDoctorWithClinics(doctorId);

  async function move(slot: SlotLive, timeZone: string) {
    const reply = await api(`/appointments/${appointmentId}/reschedule`, { method: "POST", body: { slotId: slot.slotId }, schema: rescheduleAppointmentReplySchema });
    if (reply.next === "pay") {
      // A dearer time (or an unpaid hold): the new time is held until the difference is paid on the hold page.
      navigate(`/patient/book/${reply.appointment.id}`);
      return;
    }
    setNotice(`Your appointment moved from ${formatDateTime(start, timeZone)} to ${formatDateTime(reply.appointment.start, timeZone)}.`);
    navigate("/patient/appointments");
  }

  return (
    <Async state={loaded.state} retry={() => void loaded.reload()}>
      {({ doctor, timeZone, clinicNames }) => (
        <>
          <section className="panel" aria-labelledby={`${id}-re`}>
            <p><Link to="/patient/appointments">← My appointments</Link></p>
            <h1 id={`${id}-re`}>Reschedule</h1>
            <p>Now: <strong>{formatDateTime(start, timeZone)}</strong> with {doctor.displayName}. Pick a new free time below; your current time is released when the move succeeds. A paid visit keeps its payment: a cheaper time refunds the difference, a dearer one asks for it first.</p>
          </section>
          <SlotWeek doctorId={doctorId} from={search.get("from") ?? ""} timeZone={timeZone} clinicNames={clinicNames} excludeSlotId={slotId}
            onWeek={(from) => navigate(`/patient/appointments/${appointmentId}/reschedule?from=${from}`, { replace: true })}
            onPick={(slot) => move(slot, timeZone)} pickLabel="move here" />
        </>
      )}
    </Async>
  );
}
