/**
 * Staff work for one clinic at a time: useStaffClinics lists the clinics the signed-in user holds a
 * role in (names from GET /clinics), ClinicPicker switches between them (hidden when there is one).
 */
import { useState } from "react";
import { clinicListSchema, type ClinicRole, type ClinicSummary } from "@clinic/shared";
import { api } from "../lib/api";
import type { Session } from "../lib/session";
import { useLoad } from "../lib/useLoad";
import { SelectField } from "./Field";

export function useStaffClinics(session: Session, roles: readonly ClinicRole[] = ["receptionist", "clinic_admin"]) {
  const ids = session.user.memberships.filter((m) => roles.includes(m.role)).map((m) => m.clinicId);
  const key = ids.join(",");
  const clinics = useLoad(["staff-clinics", key], async (signal) => {
    const reply = await api("/clinics", { schema: clinicListSchema, signal });
    return reply.items.filter((clinic) => ids.includes(clinic.id));
  });
  const [chosen, setChosen] = useState<string | null>(null);
  const list = clinics.state.data ?? [];
  const clinic: ClinicSummary | null = list.find((c) => c.id === chosen) ?? list[0] ?? null;
  return { state: clinics.state, reload: clinics.reload, clinics: list, clinic, choose: setChosen, hasAny: ids.length > 0 };
}

export function ClinicPicker({ clinics, value, onChange }: { clinics: ClinicSummary[]; value: string | null; onChange(id: string): void }) {
  if (clinics.length < 2) return null;
  return (
    <SelectField label="Clinic" value={value ?? ""} onChange={(e) => onChange(e.target.value)}>
      {clinics.map((c) => <option key={c.id} value={c.id}>{c.name}</option>)}
    </SelectField>
  );
}
