/**
 * Check-in at the clinic: the patient types the code shown on the waiting-room screen and gets their
 * ticket (kept for this tab, since the appointment view does not carry it) and the expected start.
 */
import { useState } from "react";
import { queueEntryViewSchema, type AppointmentView, type QueueEntryView } from "@clinic/shared";
import { FormError, TextField, useSubmit } from "../../components/Field";
import { api } from "../../lib/api";
import { formatTime } from "../../lib/format";

const key = (appointmentId: string) => `clinic.checkin.${appointmentId}`;

function storedTicket(appointmentId: string): QueueEntryView | null {
  try {
    const raw = sessionStorage.getItem(key(appointmentId));
    return raw ? queueEntryViewSchema.parse(JSON.parse(raw)) : null;
  } catch {
    return null;
  }
}

export function CheckIn({ appointment, zone }: { appointment: AppointmentView; zone: string }) {
  const [code, setCode] = useState("");
  const [entry, setEntry] = useState<QueueEntryView | null>(() => storedTicket(appointment.id));
  // A wrong code (CHECK_IN_CODE_INVALID names `body.code`) is shown on the field by useSubmit.
  const submit = useSubmit(async () => {
    const reply = await api(`/appointments/${appointment.id}/check-in`, { method: "POST", body: { code }, schema: queueEntryViewSchema });
    sessionStorage.setItem(key(appointment.id), JSON.stringify(reply));
    setEntry(reply);
  });

  if (entry || appointment.status === "checked_in") {
    const eta = appointment.expectedStartAt ?? entry?.expectedAt ?? null;
    return (
      <div className="ticket" role="status" data-testid="ticket">
        <p>You are checked in.{entry && <> Your ticket: <strong className="ticket-number">{entry.ticket}</strong></>}</p>
        <p>{eta ? <>Expected to be seen at <strong>{formatTime(eta, zone)}</strong>.</> : "Please wait to be called; the screen shows your ticket."}</p>
      </div>
    );
  }
  return (
    <form className="check-in" onSubmit={submit.onSubmit()} noValidate>
      <h3>Check in</h3>
      <FormError message={submit.formError} />
      <TextField label="Check-in code" value={code} onChange={(e) => setCode(e.target.value)} error={submit.fieldErrors.code}
        autoComplete="off" autoCapitalize="characters" spellCheck={false} hint="The 8-character code on the clinic's waiting-room screen" />
      <button type="submit" className="button" disabled={submit.busy}>{submit.busy ? "Checking in…" : "Check in"}</button>
    </form>
  );
}
