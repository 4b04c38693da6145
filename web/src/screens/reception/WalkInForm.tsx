/**
 * Walk-in and emergency registration: an existing patient found by name or phone, or a quick record
 * (name + phone); optionally a doctor. A walk-in takes a free walk-in slot of today (409
 * NO_WALK_IN_CAPACITY says when the next one is); an emergency needs a reason and is never refused.
 */
import { useId, useState } from "react";
import { queueEntryViewSchema, type ClinicSummary, type DoctorSummary, type PatientLookupItem, type QueueEntryView } from "@clinic/shared";
import { DoctorSelect } from "../../components/Doctors";
import { FormError, TextArea, TextField, useSubmit } from "../../components/Field";
import { ApiError, api } from "../../lib/api";
import { PatientSearch, phoneHintFor } from "./PatientPicker";
import { formatDateTime } from "../../lib/format";

type Kind = "walk_in" | "emergency";

/** The capacity refusal as a sentence: when the next walk-in place is, in the clinic's time. */
export function noCapacityMessage(error: ApiError, timeZone: string): string {
  const next = error.problem?.nextFreeAt;
  return typeof next === "string"
    ? `No walk-in places are left today. The next free walk-in place is ${formatDateTime(next, timeZone)}.`
    : "No walk-in places are left today, and none is scheduled later.";
}

export function WalkInForm({ clinic, doctors, onRegistered }: { clinic: ClinicSummary; doctors: DoctorSummary[]; onRegistered(entry: QueueEntryView): void }) {
  const id = useId();
  const [kind, setKind] = useState<Kind>("walk_in");
  const [mode, setMode] = useState<"existing" | "new">("existing");
  const [chosen, setChosen] = useState<PatientLookupItem | null>(null);
  const [name, setName] = useState("");
  const [phone, setPhone] = useState("");
  const [doctorId, setDoctorId] = useState("");
  const [reason, setReason] = useState("");
  const [done, setDone] = useState<string | null>(null);
  const [capacity, setCapacity] = useState<string | null>(null);

  const submit = useSubmit(async () => {
    setDone(null);
    setCapacity(null);
    const body = {
      ...(mode === "existing" ? (chosen ? { patientId: chosen.id } : {}) : { newPatient: { name, phone } }),
      ...(doctorId ? { doctorId } : {}),
      kind,
      ...(reason.trim() ? { reason: reason.trim() } : {}),
    };
    try {
      const entry = await api(`/clinics/${clinic.id}/queue/walk-ins`, { method: "POST", body, schema: queueEntryViewSchema });
      setDone(`${entry.ticket} registered: ${entry.patientName}${entry.doctorName ? ` for ${entry.doctorName}` : " (any doctor)"}.`);
      setChosen(null);
      setName("");
      setPhone("");
      setReason("");
      onRegistered(entry);
    } catch (error) {
      if (error instanceof ApiError && error.code === "NO_WALK_IN_CAPACITY") return setCapacity(noCapacityMessage(error, clinic.timeZone));
      throw error;
    }
  });
  const fields = submit.fieldErrors;

  return (
    <form onSubmit={submit.onSubmit()} noValidate aria-labelledby={`${id}-h`} className="rc-walkin">
      <h2 id={`${id}-h`}>Register a walk-in or emergency</h2>
      <FormError message={submit.formError} />
      {capacity && <p className="form-error" role="alert" data-testid="no-capacity">{capacity}</p>}
      {done && <p className="rc-done" role="status">{done}</p>}
      <fieldset className="rc-inline">
        <legend>Kind</legend>
        <label className="rc-choice"><input type="radio" name={`${id}-kind`} checked={kind === "walk_in"} onChange={() => setKind("walk_in")} /> Walk-in</label>
        <label className="rc-choice"><input type="radio" name={`${id}-kind`} checked={kind === "emergency"} onChange={() => setKind("emergency")} /> Emergency</label>
      </fieldset>
      <fieldset className="rc-inline">
        <legend>Patient</legend>
        <label className="rc-choice"><input type="radio" name={`${id}-mode`} checked={mode === "existing"} onChange={() => setMode("existing")} /> Existing patient</label>
        <label className="rc-choice"><input type="radio" name={`${id}-mode`} checked={mode === "new"} onChange={() => setMode("new")} /> New patient (quick record)</label>
      </fieldset>
      {mode === "existing" ? (
        <>
          <PatientSearch clinicId={clinic.id} chosen={chosen} onChoose={setChosen} />
          {fields.patientId && <p className="field-error">Choose a patient, or switch to a new patient.</p>}
        </>
      ) : (
        <>
          <TextField label="Patient name" value={name} onChange={(e) => setName(e.target.value)} autoComplete="off" error={fields["newPatient.name"]} />
          <TextField label="Phone" type="tel" value={phone} onChange={(e) => setPhone(e.target.value)} autoComplete="off"
            hint={phoneHintFor(phone, clinic)} error={fields["newPatient.phone"]} />
        </>
      )}
      <DoctorSelect doctors={doctors} value={doctorId} onChange={setDoctorId} error={fields.doctorId} blank="Any doctor (first free)" />
      <TextArea label={kind === "emergency" ? "Reason (required for an emergency)" : "Reason (optional)"} value={reason}
        onChange={(e) => setReason(e.target.value)} rows={2} error={fields.reason} />
      <button type="submit" className="button" disabled={submit.busy}>
        {submit.busy ? "Registering…" : kind === "emergency" ? "Register emergency" : "Register walk-in"}
      </button>
    </form>
  );
}
