import type { EntityManager } from "@mikro-orm/postgresql";
import type { User } from "@clinic/shared";
import { Doctor, Patient } from "../directory";
import { loadPrincipal, type UserPrincipal } from "./principal";
import type { UserAccount } from "./user.entity";

/**
 * The `user` every identity reply carries (login, GET /me) and any other module may reuse:
 * account, clinic memberships, profile ids and onboarding state.
 * `principal` saves the membership/profile queries when the caller already has it.
 */
export async function userView(em: EntityManager, user: UserAccount, principal?: UserPrincipal): Promise<User> {
  const who = principal && principal.userId === user.id ? principal : await loadPrincipal(em, user, "");
  return {
    id: user.id,
    email: user.email ?? null,
    phone: user.phone ?? null,
    role: user.role,
    displayName: user.displayName,
    status: user.status,
    memberships: who.memberships,
    doctorId: who.doctorId,
    patientId: who.patientId,
    onboarding: {
      verified: Boolean(user.emailVerifiedAt ?? user.phoneVerifiedAt),
      profileComplete: await profileComplete(em, user, who),
      twoFactorEnabled: Boolean(user.totpEnabledAt),
    },
  };
}

/** Patients: date of birth given. Doctors: a bio and at least one specialty. Staff and admins: nothing to fill in. */
async function profileComplete(em: EntityManager, user: UserAccount, who: UserPrincipal): Promise<boolean> {
  if (user.role === "patient") {
    if (!who.patientId) return false;
    const patient = await em.findOne(Patient, { id: who.patientId });
    return Boolean(patient?.dateOfBirth);
  }
  if (user.role === "doctor") {
    if (!who.doctorId) return false;
    const doctor = await em.findOne(Doctor, { id: who.doctorId }, { populate: ["specialties"] });
    return Boolean(doctor?.bio?.trim()) && (doctor?.specialties.count() ?? 0) > 0;
  }
  return true;
}
