/** Cached directory lookups every role's screens use: the active clinics (with their time zones) and doctors by id. */
import { clinicListSchema, doctorSchema, type ClinicSummary, type DoctorView } from "@clinic/shared";
import { api } from "./api";
import { memoized } from "./memo";

let clinicsPromise: Promise<ClinicSummary[]> | null = null;
/** Active clinics (public); read once per page load, they rarely change. */
export function loadClinics(signal?: AbortSignal): Promise<ClinicSummary[]> {
  clinicsPromise ??= api("/clinics", { schema: clinicListSchema, signal }).then((reply) => reply.items);
  clinicsPromise.catch(() => (clinicsPromise = null));
  return clinicsPromise;
}

export const loadDoctor: (doctorId: string) => Promise<DoctorView> = memoized((doctorId) => api(`/doctors/${doctorId}`, { schema: doctorSchema }));
