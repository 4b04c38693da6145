/** A clinic's doctors: the list (GET /doctors?clinicId=, listed doctors only) and a labelled select of them. */
import { doctorPageSchema, type DoctorSummary } from "@clinic/shared";
import { api } from "../lib/api";
import { useLoad } from "../lib/useLoad";
import { SelectField } from "./Field";

/** The clinic's listed doctors, by name (first 100: enough for one clinic's roster); none without a clinic. */
export function useClinicDoctors(clinicId: string | null) {
  return useLoad(
    ["clinic-doctors", clinicId],
    async (signal) => (clinicId ? (await api(`/doctors?clinicId=${clinicId}&limit=100`, { schema: doctorPageSchema, signal })).items : []),
  );
}

/**
 * A doctor picker. `blank` is the first, empty choice (default "Choose a doctor", "Loading doctors…"
 * while `doctors` is undefined); null leaves it out.
 */
export function DoctorSelect({ doctors, value, onChange, error, label = "Doctor", blank }: {
  doctors: readonly DoctorSummary[] | undefined;
  value: string;
  onChange(id: string): void;
  error?: string | undefined;
  label?: string;
  blank?: string | null;
}) {
  const empty = blank === undefined ? (doctors ? "Choose a doctor" : "Loading doctors…") : blank;
  return (
    <SelectField label={label} value={value} onChange={(e) => onChange(e.target.value)} error={error}>
      {empty !== null && <option value="">{empty}</option>}
      {doctors?.map((d) => <option key={d.id} value={d.id}>{d.displayName}</option>)}
    </SelectField>
  );
}
