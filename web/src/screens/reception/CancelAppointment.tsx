/** Cancelling an appointment from the day calendar, with the reason the patient is told (docs/web-reception.md). */
import { useId, useState } from "react";
import { appointmentViewSchema, type AppointmentView } from "@clinic/shared";
import { FormError, TextField, useSubmit } from "../../components/Field";
import { api } from "../../lib/api";
import { formatTime } from "../../lib/format";

export function CancelAppointment({ appointment, name, tz, onCancelled, onCancel }: {
  appointment: AppointmentView;
  name: string;
  tz: string;
  onCancelled(message: string): void;
  onCancel(): void;
}) {
  const id = useId();
  const [reason, setReason] = useState("");
  const cancel = useSubmit(async () => {
    await api(`/appointments/${appointment.id}/cancel`, { method: "POST", body: { reason: reason.trim() }, schema: appointmentViewSchema });
    onCancelled(`Cancelled ${name} at ${formatTime(appointment.start, tz)}. They are told, with your reason.`);
  });
  return (
    <form onSubmit={cancel.onSubmit()} noValidate className="rc-book" aria-labelledby={`${id}-h`}>
      <h2 id={`${id}-h`}>Cancel {name} at {formatTime(appointment.start, tz)}</h2>
      <FormError message={cancel.formError} />
      <TextField label="Reason (the patient is told)" value={reason} onChange={(e) => setReason(e.target.value)} error={cancel.fieldErrors.reason} autoComplete="off" />
      <div className="rc-buttons">
        <button type="submit" className="button" disabled={cancel.busy}>{cancel.busy ? "Cancelling…" : "Cancel appointment"}</button>
        <button type="button" className="button button-quiet" onClick={onCancel}>Keep it</button>
      </div>
    </form>
  );
}
