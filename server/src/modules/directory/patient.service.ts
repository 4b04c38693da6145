/**
 * Patient profiles, tiers and doctor–patient relations. Reads by anyone but the patient are
 * recorded as `patient.read` audit events in the same transaction as the read.
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import type { PatientView, SubscriptionTier, UpdatePatientRequest } from "@clinic/shared";
import { conflict, notFound } from "../../platform/errors";
import { recordAudit, type AuditActor } from "../../platform/audit";
import { authorize, type AccessScope, type UserPrincipal } from "../identity";
import { readPreferences, reminderPreferencesOf, writePreferences } from "../notifications";
import { Doctor } from "./doctor.entity";
import { DoctorPatient, Patient } from "./patient.entity";
import { patientView } from "./views";
import { idempotent, writeTransaction } from "../../platform/transactions";

export type PatientScope = NonNullable<AccessScope["patient"]>;

async function findPatient(em: EntityManager, patientId: string): Promise<Patient> {
  const patient = await em.findOne(Patient, { id: patientId });
  if (!patient) throw notFound("Patient");
  return patient;
}

/** Patients' views; their reminder choices are read through the notifications module in one query. */
async function viewsOf(em: EntityManager, patients: Patient[]): Promise<PatientView[]> {
  const preferences = await readPreferences(em, patients.map((patient) => patient.user.id));
  return patients.map((patient) => patientView(patient, reminderPreferencesOf(preferences.get(patient.user.id))));
}

const viewOf = async (em: EntityManager, patient: Patient) => (await viewsOf(em, [patient]))[0]!;

/** The guard's facts about a patient: its account, related doctors and those doctors' clinics. 404 when absent. */
export async function patientScope(em: EntityManager, patientId: string): Promise<PatientScope> {
  const patient = await findPatient(em, patientId);
  const relations = await em.find(DoctorPatient, { patient: patientId }, { populate: ["doctor.clinics"] });
  const doctorIds = relations.map((relation) => relation.doctor.id);
  const clinicIds = [...new Set(relations.flatMap((relation) => relation.doctor.clinics.getItems().map((clinic) => clinic.id)))];
  return { id: patient.id, userId: patient.user.id, doctorIds, clinicIds };
}

/**
 * The one decision on who may read a patient (`patient.read` over patientScope): the patient, the
 * doctors related to them, the staff of those doctors' clinics, the platform. An appointment alone
 * opens nothing: a relation does (made by a clinic admin). Anyone else gets the 404 of a missing
 * patient, so a refusal does not tell that the patient exists.
 */
export async function authorizePatientRead(em: EntityManager, principal: UserPrincipal, patientId: string): Promise<PatientScope> {
  const patient = await patientScope(em, patientId);
  authorize(principal, "patient.read", { patient }, { hide: "Patient" });
  return patient;
}

/** Reads a patient; `audit` records the read (set it whenever the reader is not the patient). */
export async function readPatient(em: EntityManager, actor: AuditActor, patientId: string, options: { audit: boolean }): Promise<PatientView> {
  if (!options.audit) return viewOf(em, await findPatient(em, patientId));
  return writeTransaction(em, async (tx) => {
    const view = await viewOf(tx, await findPatient(tx, patientId));
    recordAudit(tx, actor, { action: "patient.read", entityType: "Patient", entityId: patientId });
    return view;
  });
}

export async function updatePatient(em: EntityManager, actor: AuditActor, patientId: string, input: UpdatePatientRequest): Promise<PatientView> {
  return writeTransaction(em, async (tx) => {
    const patient = await findPatient(tx, patientId);
    const before = await viewOf(tx, patient);
    if (input.fullName !== undefined) patient.fullName = input.fullName;
    if (input.dateOfBirth !== undefined) patient.dateOfBirth = input.dateOfBirth;
    if (input.phone !== undefined) patient.phone = input.phone;
    if (input.email !== undefined) patient.email = input.email;
    if (input.preferredLanguage !== undefined) patient.preferredLanguage = input.preferredLanguage;
    // In-app is always on (it is the inbox), so `inApp: false` changes nothing; quiet hours stay as they are.
    if (input.reminderPreferences !== undefined) await writePreferences(tx, patient.user.id, input.reminderPreferences);
    await tx.flush();
    const after = await viewOf(tx, patient);
    recordAudit(tx, actor, { action: "patient.update", entityType: "Patient", entityId: patientId, before, after });
    return after;
  });
}

export async function setPatientTier(em: EntityManager, actor: AuditActor, patientId: string, tier: SubscriptionTier): Promise<PatientView> {
  return writeTransaction(em, async (tx) => {
    const patient = await findPatient(tx, patientId);
    const before = { subscriptionTier: patient.subscriptionTier };
    patient.subscriptionTier = tier;
    await tx.flush();
    recordAudit(tx, actor, { action: "patient.tier.update", entityType: "Patient", entityId: patientId, before, after: { subscriptionTier: tier } });
    return viewOf(tx, patient);
  });
}

/**
 * The guard's facts for relating a doctor and a patient: the clinics where both are known, i.e. the
 * doctor works there and the patient has or had an appointment there (a lapsed hold is not one: the
 * SQL is booking's `lapsedAppointmentHoldSql`, written out, since directory sits below booking).
 * Nothing here needs either to exist, so a refusal does not tell who does.
 */
export async function relationScope(em: EntityManager, doctorId: string, patientId: string): Promise<Required<Pick<AccessScope, "doctorId" | "sharedClinicIds">>> {
  const rows = await em.getConnection().execute<{ clinic_id: string }[]>(
    `select dc.clinic_id from doctor_clinic dc
      where dc.doctor_id = ?
        and exists (select 1 from appointment a
                     where a.patient_id = ? and a.clinic_id = dc.clinic_id
                       and a.status <> 'expired' and not (a.status = 'pending' and a.hold_expires_at <= now()))
      order by dc.clinic_id`,
    [doctorId, patientId],
  );
  return { doctorId, sharedClinicIds: rows.map((row) => row.clinic_id) };
}

/** Who relates whom, why, and the clinic whose admin did it (null for the platform or the doctor). */
export interface RelationChange {
  doctorId: string;
  patientId: string;
  clinicId: string | null;
}

/** Idempotent: relating twice is one relation; only a change is audited, with its reason and clinic. */
export function relate(em: EntityManager, actor: AuditActor, change: RelationChange & { reason: string }) {
  return idempotent(() => relateOnce(em, actor, change));
}

async function relateOnce(em: EntityManager, actor: AuditActor, { doctorId, patientId, clinicId, reason }: RelationChange & { reason: string }) {
  return writeTransaction(
    em,
    async (tx) => {
      const doctor = await tx.findOne(Doctor, { id: doctorId });
      if (!doctor) throw notFound("Doctor");
      const patient = await findPatient(tx, patientId);
      const existing = await tx.findOne(DoctorPatient, { doctor: doctorId, patient: patientId });
      if (existing) return { relation: existing, created: false };
      const relation = tx.create(DoctorPatient, { doctor, patient });
      const after = { doctorId, patientId, reason, clinicId };
      recordAudit(tx, actor, { action: "patient.relation.add", entityType: "DoctorPatient", entityId: relation.id, clinicId, after });
      await tx.flush();
      return { relation, created: true };
    },
    () => conflict("CONCURRENT_CHANGE", "The relation changed meanwhile; try again"),
  ).then(({ relation, created }) => ({ doctorId, patientId, createdAt: relation.createdAt.toISOString(), created }));
}

export async function unrelate(em: EntityManager, actor: AuditActor, { doctorId, patientId, clinicId }: RelationChange): Promise<void> {
  await writeTransaction(em, async (tx) => {
    const relation = await tx.findOne(DoctorPatient, { doctor: doctorId, patient: patientId });
    if (!relation) throw notFound("Relation");
    tx.remove(relation);
    recordAudit(tx, actor, {
      action: "patient.relation.remove",
      entityType: "DoctorPatient",
      entityId: relation.id,
      clinicId,
      before: { doctorId, patientId },
    });
  });
}

/** A doctor's related patients; each one listed is a read of that patient's data. */
export async function listDoctorPatients(em: EntityManager, actor: AuditActor, doctorId: string, options: { audit: boolean }) {
  return writeTransaction(em, async (tx) => {
    const relations = await tx.find(DoctorPatient, { doctor: doctorId }, { populate: ["patient"] });
    const items = (await viewsOf(tx, relations.map((relation) => relation.patient))).sort((a, b) => a.fullName.localeCompare(b.fullName));
    if (options.audit) {
      for (const item of items) recordAudit(tx, actor, { action: "patient.read", entityType: "Patient", entityId: item.id });
    }
    return items;
  });
}
