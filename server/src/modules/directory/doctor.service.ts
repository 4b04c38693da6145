/** Doctor profiles: reading, profile changes, credentials, approval, clinic associations. */
import type { EntityManager } from "@mikro-orm/postgresql";
import type { DoctorView, SubmitCredentialsRequest, UpdateDoctorProfileRequest } from "@clinic/shared";
import { conflict, notFound, unprocessable } from "../../platform/errors";
import type { AccessScope } from "../identity";
import { recordAudit, type AuditActor } from "../../platform/audit";
import { findClinic } from "./clinic.service";
import { Doctor } from "./doctor.entity";
import { Specialty } from "./specialty.entity";
import { doctorSummaryView } from "./views";
import { idempotent, writeTransaction } from "../../platform/transactions";
import { hasDocumentsLocked } from "./doctor-documents";

const populate = ["user", "specialties", "clinics"] as const;

export async function findDoctor(em: EntityManager, doctorId: string): Promise<Doctor> {
  const doctor = await em.findOne(Doctor, { id: doctorId }, { populate });
  if (!doctor) throw notFound("Doctor");
  return doctor;
}

/** Listed doctors are approved and their account is active: only those are searchable and bookable. */
export const isListed = (doctor: Doctor) => doctor.approvalStatus === "approved" && doctor.user.status === "active";

export function doctorView(doctor: Doctor): Required<DoctorView> {
  return {
    ...doctorSummaryView(doctor),
    listed: isListed(doctor),
    approval: { status: doctor.approvalStatus, note: doctor.approvalNote ?? null, credentials: doctor.credentials ?? null },
  };
}

/** The guard's facts about a doctor: who it is and the clinics it works at (all of them, active or not). */
export async function doctorScope(em: EntityManager, doctorId: string): Promise<Required<Pick<AccessScope, "doctorId" | "doctorClinicIds">>> {
  const doctor = await findDoctor(em, doctorId);
  return { doctorId: doctor.id, doctorClinicIds: doctor.clinics.getItems().map((clinic) => clinic.id) };
}

/** Doctors with the given approval status, oldest first (the review queue), at most 200. */
export async function listDoctorsByApproval(em: EntityManager, status: Doctor["approvalStatus"]): Promise<Required<DoctorView>[]> {
  const doctors = await em.find(Doctor, { approvalStatus: status }, { populate, orderBy: { createdAt: "asc", id: "asc" }, limit: 200 });
  return doctors.map(doctorView);
}

export async function getDoctor(em: EntityManager, doctorId: string): Promise<Required<DoctorView>> {
  return doctorView(await findDoctor(em, doctorId));
}

async function audited(
  em: EntityManager,
  actor: AuditActor,
  doctorId: string,
  action: string,
  change: (doctor: Doctor, tx: EntityManager) => Promise<void> | void,
): Promise<Required<DoctorView>> {
  return writeTransaction(em, async (tx) => {
    const doctor = await findDoctor(tx, doctorId);
    const before = doctorView(doctor);
    await change(doctor, tx);
    await tx.flush();
    const after = doctorView(doctor);
    recordAudit(tx, actor, { action, entityType: "Doctor", entityId: doctor.id, before, after });
    return after;
  });
}

export function updateDoctorProfile(em: EntityManager, actor: AuditActor, doctorId: string, input: UpdateDoctorProfileRequest) {
  return audited(em, actor, doctorId, "doctor.profile.update", async (doctor, tx) => {
    if (input.displayName !== undefined) doctor.displayName = input.displayName;
    if (input.bio !== undefined) doctor.bio = input.bio;
    if (input.languages !== undefined) doctor.languages = [...new Set(input.languages.map((l) => l.toLowerCase()))];
    if (input.experienceYears !== undefined) doctor.experienceYears = input.experienceYears;
    if (input.consultationFeeMinor !== undefined) doctor.consultationFeeMinor = input.consultationFeeMinor;
    if (input.currency !== undefined) doctor.currency = input.currency;
    if (input.specialtyIds !== undefined) {
      const ids = [...new Set(input.specialtyIds)];
      const specialties = await tx.find(Specialty, { id: { $in: ids } });
      if (specialties.length !== ids.length) {
        const known = new Set(specialties.map((s) => s.id));
        throw unprocessable("UNKNOWN_SPECIALTY", {
          specialtyIds: ids.filter((id) => !known.has(id)),
        });
      }
      doctor.specialties.set(specialties);
    }
  });
}

/** Stores the credentials with the time they arrived; a rejected doctor goes back to review. */
export function submitCredentials(em: EntityManager, actor: AuditActor, doctorId: string, input: SubmitCredentialsRequest) {
  return audited(em, actor, doctorId, "doctor.credentials.submit", (doctor) => {
    doctor.credentials = { ...input, submittedAt: new Date().toISOString() };
    if (doctor.approvalStatus === "rejected") {
      doctor.approvalStatus = "pending";
      doctor.approvalNote = null;
    }
  });
}

export function approveDoctor(em: EntityManager, actor: AuditActor, doctorId: string, note?: string) {
  return audited(em, actor, doctorId, "doctor.approve", async (doctor, tx) => {
    if (doctor.approvalStatus === "approved") throw conflict("ALREADY_APPROVED");
    if (!doctor.credentials) throw unprocessable("CREDENTIALS_MISSING");
    // The documents the reviewer saw are the ones approved: their removal waits on this row lock.
    if (!(await hasDocumentsLocked(tx, doctorId))) throw unprocessable("DOCUMENTS_MISSING");
    doctor.approvalStatus = "approved";
    doctor.approvalNote = note ?? null;
  });
}

/** Also withdraws an earlier approval (the doctor leaves the listing). */
export function rejectDoctor(em: EntityManager, actor: AuditActor, doctorId: string, note: string) {
  return audited(em, actor, doctorId, "doctor.reject", (doctor) => {
    if (doctor.approvalStatus === "rejected") throw conflict("ALREADY_REJECTED");
    doctor.approvalStatus = "rejected";
    doctor.approvalNote = note;
  });
}

function clinicIdsOf(doctor: Doctor) {
  return doctor.clinics.getItems().map((clinic) => clinic.id).sort();
}

/** Idempotent: associating twice is one association; only a change is audited. */
export function setDoctorClinic(em: EntityManager, actor: AuditActor, doctorId: string, clinicId: string, member: boolean) {
  return idempotent(() => setDoctorClinicOnce(em, actor, doctorId, clinicId, member));
}

async function setDoctorClinicOnce(em: EntityManager, actor: AuditActor, doctorId: string, clinicId: string, member: boolean) {
  return writeTransaction(
    em,
    async (tx) => {
      const doctor = await findDoctor(tx, doctorId);
      const before = clinicIdsOf(doctor);
      const present = before.includes(clinicId);
      if (member && !present) doctor.clinics.add(await findClinic(tx, clinicId));
      if (!member && !present) throw notFound("Association");
      if (!member && present) doctor.clinics.remove((clinic) => clinic.id === clinicId);
      if (member !== present) {
        await tx.flush();
        recordAudit(tx, actor, {
          action: member ? "doctor.clinic.add" : "doctor.clinic.remove",
          entityType: "Doctor",
          entityId: doctor.id,
          clinicId,
          before: { clinicIds: before },
          after: { clinicIds: clinicIdsOf(doctor) },
        });
      }
      return { doctorId: doctor.id, clinicIds: clinicIdsOf(doctor) };
    },
    () => conflict("CONCURRENT_CHANGE", "The association changed meanwhile; try again"),
  );
}

/** What the topic guards need about a doctor: whether the public may see it, and where it works (null: no such doctor). */
export async function doctorVisibility(em: EntityManager, doctorId: string): Promise<{ listed: boolean; clinicIds: string[] } | null> {
  const [row] = await em.getConnection().execute<{ listed: boolean; clinic_ids: string[] | null }[]>(
    `select (d.approval_status = 'approved' and u.status = 'active') as listed,
            array(select dc.clinic_id from doctor_clinic dc where dc.doctor_id = d.id) as clinic_ids
       from doctor d join user_account u on u.id = d.user_id where d.id = ?`,
    [doctorId],
  );
  return row ? { listed: row.listed, clinicIds: row.clinic_ids ?? [] } : null;
}
