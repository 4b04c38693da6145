/** The desk's patient: found among the clinic's patients by name or phone, or a new quick record (walk-ins, phone-in bookings). */
import { useEffect, useId, useState } from "react";
import { countryOfPhone, formatPhone, patientLookupReplySchema, toE164, type ClinicSummary, type PatientLookupItem } from "@clinic/shared";
import { TextField } from "../../components/Field";
import { api } from "../../lib/api";

export function PatientSearch({ clinicId, chosen, onChoose }: { clinicId: string; chosen: PatientLookupItem | null; onChoose(p: PatientLookupItem | null): void }) {
  const id = useId();
  const [q, setQ] = useState("");
  const [results, setResults] = useState<PatientLookupItem[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const text = q.trim();
    if (text.length < 2) return void setResults(null);
    const controller = new AbortController();
    // A short pause after typing, so each keystroke does not ask the server.
    const timer = setTimeout(() => {
      api(`/clinics/${clinicId}/queue/patients?q=${encodeURIComponent(text)}`, { schema: patientLookupReplySchema, signal: controller.signal })
        .then((reply) => {
          setResults(reply.items);
          setError(null);
        })
        .catch((e: unknown) => {
          if (!controller.signal.aborted) setError(e instanceof Error ? e.message : "Search failed.");
        });
    }, 250);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [clinicId, q]);

  return (
    <div>
      <TextField label="Find patient (name or phone)" value={q} onChange={(e) => setQ(e.target.value)} autoComplete="off" />
      {error && <p className="form-error" role="alert">{error}</p>}
      {results && (
        <fieldset className="rc-results">
          <legend id={`${id}-legend`}>{results.length ? "Matching patients" : "No patient of this clinic matches."}</legend>
          {results.map((p) => (
            <label key={p.id} className="rc-choice">
              <input type="radio" name={`${id}-patient`} checked={chosen?.id === p.id} onChange={() => onChoose(p)} />
              {p.fullName} <span className="mono">{p.phone ? formatPhone(p.phone) : "no phone"}</span>
            </label>
          ))}
        </fieldset>
      )}
    </div>
  );
}

/** What the server will store for the number typed: as the clinic's desk reads it (its own number's country). */
export function phoneHintFor(typed: string, clinic: ClinicSummary): string {
  const country = countryOfPhone(clinic.phone);
  const e164 = typed.trim() ? toE164(typed, country) : null;
  if (e164) return `Saved as ${formatPhone(e164)}`;
  return country ? "As the patient says it, or with its country code (+…)" : "With its country code, starting with +";
}
