/**
 * Directory reads every role's screens share, through the query client's cache (lib/useLoad.ts):
 * the active clinics (with their time zones), a clinic, a doctor by id. They rarely change while a
 * page is open, so a cached answer is used for ten minutes; a failed read is not kept.
 */
import { clinicListSchema, clinicSchema, doctorSchema, type ClinicSummary, type ClinicView, type DoctorView } from "@clinic/shared";
import { api } from "./api";
import { queryClient } from "./useLoad";

const RARELY_CHANGES = 10 * 60_000;

/** Active clinics (public). */
export function loadClinics(): Promise<ClinicSummary[]> {
  return queryClient.fetchQuery({
    queryKey: ["clinics"],
    queryFn: async ({ signal }) => (await api("/clinics", { schema: clinicListSchema, signal })).items,
    staleTime: RARELY_CHANGES,
  });
}

export function loadClinic(clinicId: string): Promise<ClinicView> {
  return queryClient.fetchQuery({ queryKey: ["clinic", clinicId], queryFn: ({ signal }) => api(`/clinics/${clinicId}`, { schema: clinicSchema, signal }), staleTime: RARELY_CHANGES });
}

export function loadDoctor(doctorId: string): Promise<DoctorView> {
  return queryClient.fetchQuery({ queryKey: ["doctor", doctorId], queryFn: ({ signal }) => api(`/doctors/${doctorId}`, { schema: doctorSchema, signal }), staleTime: RARELY_CHANGES });
}
