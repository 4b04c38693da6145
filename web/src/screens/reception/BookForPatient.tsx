/**
 * Booking a free slot for a patient who phoned in (docs/web-reception.md): the desk finds the patient
 * among the clinic's, or records them by name and number, and books. A free visit is confirmed at
 * once; a paid one is held and the patient is sent a payment link by email or SMS.
 */
import { useId, useState } from "react";
import {
  appointmentViewSchema,
  createAppointmentReplySchema,
  paymentLinkReplySchema,
  quickPatientReplySchema,
  type ClinicSummary,
  type PatientLookupItem,
  type StaffSlotView,
} from "@clinic/shared";
import { FormError, TextField, useSubmit } from "../../components/Field";
import { api, idempotencyKey } from "../../lib/api";
import { formatTime } from "../../lib/format";
import { PatientSearch, phoneHintFor } from "./PatientPicker";

export function BookForPatient({ clinic, slot, doctorName, onBooked, onCancel }: {
  clinic: ClinicSummary;
  slot: StaffSlotView;
  doctorName: string;
  onBooked(message: string): void;
  onCancel(): void;
}) {
  const id = useId();
  const [mode, setMode] = useState<"existing" | "new">("existing");
  const [chosen, setChosen] = useState<PatientLookupItem | null>(null);
  const [name, setName] = useState("");
  const [phone, setPhone] = useState("");
  // One key for this form's booking: a retried click replays the same hold.
  const [key] = useState(idempotencyKey);
  const time = `${formatTime(slot.start, clinic.timeZone)}–${formatTime(slot.end, clinic.timeZone)}`;

  const book = useSubmit(async () => {
    const patient = mode === "existing"
      ? chosen && { id: chosen.id, fullName: chosen.fullName }
      : await api(`/clinics/${clinic.id}/patients`, { method: "POST", body: { name: name.trim(), phone }, schema: quickPatientReplySchema });
    if (!patient) throw new Error("Choose a patient, or record a new one.");
    const hold = await api("/appointments", { method: "POST", body: { slotId: slot.id, patientId: patient.id }, headers: { "Idempotency-Key": key }, schema: createAppointmentReplySchema });
    if (hold.next === "confirm") {
      await api(`/appointments/${hold.id}/confirm`, { method: "POST", schema: appointmentViewSchema });
      onBooked(`Booked ${patient.fullName} at ${time} with ${doctorName}. They are sent the confirmation.`);
    } else {
      const link = await api(`/payments/appointments/${hold.id}/payment-link`, { method: "POST", schema: paymentLinkReplySchema });
      onBooked(`${time} with ${doctorName} is held for ${patient.fullName}: a paid visit. The payment link went to them by ${link.channels.join(" and ") || "in-app message"}; the booking completes when they pay.`);
    }
  }, { fieldCodes: { PHONE_IN_USE: "phone" } });

  return (
    <form onSubmit={book.onSubmit()} noValidate className="rc-book" aria-labelledby={`${id}-h`}>
      <h2 id={`${id}-h`}>Book {time} with {doctorName}</h2>
      <FormError message={book.formError} />
      <fieldset className="rc-inline">
        <legend>Patient</legend>
        <label className="rc-choice"><input type="radio" name={`${id}-mode`} checked={mode === "existing"} onChange={() => setMode("existing")} /> A patient of this clinic</label>
        <label className="rc-choice"><input type="radio" name={`${id}-mode`} checked={mode === "new"} onChange={() => setMode("new")} /> New patient, or by phone number</label>
      </fieldset>
      {mode === "existing" ? (
        <PatientSearch clinicId={clinic.id} chosen={chosen} onChoose={setChosen} />
      ) : (
        <>
          <TextField label="Patient name" value={name} onChange={(e) => setName(e.target.value)} autoComplete="off" error={book.fieldErrors.name}
            hint="Someone already recorded with this number keeps their record and name." />
          <TextField label="Phone" type="tel" value={phone} onChange={(e) => setPhone(e.target.value)} autoComplete="off"
            hint={phoneHintFor(phone, clinic)} error={book.fieldErrors.phone} />
        </>
      )}
      <div className="rc-buttons">
        <button type="submit" className="button" disabled={book.busy}>{book.busy ? "Booking…" : "Book"}</button>
        <button type="button" className="button button-quiet" onClick={onCancel}>Cancel</button>
      </div>
    </form>
  );
}
