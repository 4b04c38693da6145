/**
 * What the operations services share: the reply view of a slot row (rows and their columns are the
 * slot store's), overlap errors, and lookups of the doctor and clinic they act on.
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import type { OperationSlot } from "@clinic/shared";
import { conflict, notFound, unprocessable } from "../../platform/errors";
import { Clinic, Doctor } from "../directory";
import type { SlotRow } from "./slot.store";

export function slotView(row: Pick<SlotRow, "id" | "doctor_id" | "clinic_id" | "service_id" | "starts_at" | "ends_at" | "status" | "kind" | "version">): OperationSlot {
  return {
    id: row.id,
    doctorId: row.doctor_id,
    clinicId: row.clinic_id,
    start: new Date(row.starts_at).toISOString(),
    end: new Date(row.ends_at).toISOString(),
    status: row.status,
    kind: row.kind,
    serviceId: row.service_id,
    version: row.version,
  };
}

/** The exclusion constraint `slot_no_overlap` said no (SQLSTATE 23P01). */
export function isOverlapViolation(error: unknown): boolean {
  for (let e = error as { code?: unknown; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    if (e.code === "23P01") return true;
  }
  return false;
}

export const overlapConflict = () =>
  conflict("SLOT_OVERLAP");

export interface DoctorFacts {
  id: string;
  userId: string;
  clinicIds: string[];
}

export async function loadDoctor(em: EntityManager, doctorId: string): Promise<DoctorFacts> {
  const doctor = await em.findOne(Doctor, { id: doctorId }, { populate: ["clinics"] });
  if (!doctor) throw notFound("Doctor");
  return { id: doctor.id, userId: doctor.user.id, clinicIds: doctor.clinics.getItems().map((c) => c.id) };
}

export async function loadClinic(em: EntityManager, clinicId: string): Promise<Clinic> {
  const clinic = await em.findOne(Clinic, { id: clinicId });
  if (!clinic) throw notFound("Clinic");
  return clinic;
}

export function requireWorksAt(doctor: DoctorFacts, clinicId: string): void {
  if (!doctor.clinicIds.includes(clinicId)) {
    throw unprocessable("DOCTOR_NOT_AT_CLINIC", { clinicId });
  }
}
