/**
 * Ending a visit from the day calendar with its reason (docs/web-reception.md): cancelling one (the
 * patient is told the reason) or marking a visit whose time has passed a no-show.
 */
import { useId, useState } from "react";
import { appointmentViewSchema, type AppointmentView } from "@clinic/shared";
import { FormError, TextField, useSubmit } from "../../components/Field";
import { api } from "../../lib/api";
import { formatTime } from "../../lib/format";

export type Ending = "cancel" | "no_show";

const WORDS: Record<Ending, { heading: string; label: string; button: string; busy: string; done: string }> = {
  cancel: { heading: "Cancel", label: "Reason (the patient is told)", button: "Cancel appointment", busy: "Cancelling…", done: "Cancelled" },
  no_show: { heading: "No-show:", label: "What happened (kept on the patient's record)", button: "Mark no-show", busy: "Marking…", done: "Marked a no-show:" },
};

export function EndVisit({ ending, appointment, name, tz, onDone, onCancel }: {
  ending: Ending;
  appointment: AppointmentView;
  name: string;
  tz: string;
  onDone(message: string): void;
  onCancel(): void;
}) {
  const id = useId();
  const words = WORDS[ending];
  const [reason, setReason] = useState("");
  const submit = useSubmit(async () => {
    const body = { reason: reason.trim() };
    if (ending === "cancel") await api(`/appointments/${appointment.id}/cancel`, { method: "POST", body, schema: appointmentViewSchema });
    else await api(`/appointments/${appointment.id}/status`, { method: "POST", body: { status: "no_show", ...body }, schema: appointmentViewSchema });
    onDone(`${words.done} ${name} at ${formatTime(appointment.start, tz)}.${ending === "cancel" ? " They are told, with your reason." : ""}`);
  });
  return (
    <form onSubmit={submit.onSubmit()} noValidate className="rc-book" aria-labelledby={`${id}-h`}>
      <h2 id={`${id}-h`}>{words.heading} {name} at {formatTime(appointment.start, tz)}</h2>
      <FormError message={submit.formError} />
      <TextField label={words.label} value={reason} onChange={(e) => setReason(e.target.value)} error={submit.fieldErrors.reason} autoComplete="off" />
      <div className="rc-buttons">
        <button type="submit" className="button" disabled={submit.busy}>{submit.busy ? words.busy : words.button}</button>
        <button type="button" className="button button-quiet" onClick={onCancel}>Keep it</button>
      </div>
    </form>
  );
}
