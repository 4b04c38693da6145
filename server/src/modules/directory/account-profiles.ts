/**
 * The profiles accounts start with and their onboarding state, for identity (`Ports.accountProfiles`):
 * a new patient account gets a patient profile, a new doctor account a doctor profile (pending approval).
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import type { AccountProfiles } from "../identity";
import { Doctor } from "./doctor.entity";
import { Patient } from "./patient.entity";

export const accountProfiles: AccountProfiles = {
  create(tx, user, input) {
    if (input.role === "doctor") {
      tx.create(Doctor, { user, displayName: input.name, approvalStatus: "pending" });
      return;
    }
    // Reminder choices start at the notifications module's defaults (no preference row yet).
    tx.create(Patient, { user, fullName: input.name, email: input.email, phone: input.phone, subscriptionTier: "none" });
  },
  async isComplete(em: EntityManager, who) {
    if (who.role === "patient") {
      if (!who.patientId) return false;
      const patient = await em.findOne(Patient, { id: who.patientId });
      return Boolean(patient?.dateOfBirth);
    }
    if (who.role === "doctor") {
      if (!who.doctorId) return false;
      const doctor = await em.findOne(Doctor, { id: who.doctorId }, { populate: ["specialties"] });
      return Boolean(doctor?.bio?.trim()) && (doctor?.specialties.count() ?? 0) > 0;
    }
    return true;
  },
};
