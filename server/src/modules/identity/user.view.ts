import type { EntityManager } from "@mikro-orm/postgresql";
import type { User } from "@clinic/shared";
import type { AccountProfiles } from "./identity.ports";
import { loadPrincipal, type UserPrincipal } from "./principal";
import type { UserAccount } from "./user.entity";

/**
 * The `user` every identity reply carries (login, GET /me) and any other module may reuse:
 * account, clinic memberships, profile ids and onboarding state.
 * `principal` saves the membership/profile queries when the caller already has it.
 */
export async function userView(em: EntityManager, user: UserAccount, profiles: AccountProfiles, principal?: UserPrincipal): Promise<User> {
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
      profileComplete: await profiles.isComplete(em, who),
      twoFactorEnabled: Boolean(user.totpEnabledAt),
    },
  };
}
