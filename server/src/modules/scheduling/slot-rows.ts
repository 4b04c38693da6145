/**
 * What the operations services share: slots read as raw rows (the operations lock and change them
 * with conditional SQL), their reply view, and lookups of the doctor and clinic they act on.
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import type { OperationSlot, SlotKind, SlotStatus } from "@clinic/shared";
import { DomainError } from "../../platform/problem";
import { Clinic, Doctor } from "../directory";

export interface SlotRow {
  id: string;
  doctor_id: string;
  clinic_id: string;
  service_id: string | null;
  starts_at: Date;
  ends_at: Date;
  status: SlotStatus;
  kind: SlotKind;
  tags: string[];
  note: string | null;
  version: number;
}

export const SLOT_COLUMNS = "id, doctor_id, clinic_id, service_id, starts_at, ends_at, status, kind, tags, note, version";

export function slotView(row: SlotRow): OperationSlot {
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
  new DomainError(409, "SLOT_OVERLAP", "Another slot of this doctor was created over the same time meanwhile; try again");

export interface DoctorFacts {
  id: string;
  userId: string;
  clinicIds: string[];
}

export async function loadDoctor(em: EntityManager, doctorId: string): Promise<DoctorFacts> {
  const doctor = await em.findOne(Doctor, { id: doctorId }, { populate: ["clinics"] });
  if (!doctor) throw new DomainError(404, "NOT_FOUND", "Doctor not found");
  return { id: doctor.id, userId: doctor.user.id, clinicIds: doctor.clinics.getItems().map((c) => c.id) };
}

export async function loadClinic(em: EntityManager, clinicId: string): Promise<Clinic> {
  const clinic = await em.findOne(Clinic, { id: clinicId });
  if (!clinic) throw new DomainError(404, "NOT_FOUND", "Clinic not found");
  return clinic;
}

export function requireWorksAt(doctor: DoctorFacts, clinicId: string): void {
  if (!doctor.clinicIds.includes(clinicId)) {
    throw new DomainError(422, "DOCTOR_NOT_AT_CLINIC", "The doctor does not work at this clinic", { clinicId });
  }
}
