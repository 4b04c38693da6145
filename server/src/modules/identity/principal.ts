import type { EntityManager } from "@mikro-orm/postgresql";
import type { ClinicRole, UserRole } from "@clinic/shared";
import { ClinicMembership } from "./membership.entity";
import { AuthSession } from "./session.entity";
import { UserAccount } from "./user.entity";
import { verifyAccessToken } from "./tokens";
import { Doctor } from "../directory/doctor.entity";
import { Patient } from "../directory/patient.entity";

/** Who is asking, as every guard decision sees it. */
export interface UserPrincipal {
  kind: "user";
  id: string;
  userId: string;
  sessionId: string;
  role: UserRole;
  memberships: { clinicId: string; role: ClinicRole }[];
  /** Set when the account has a doctor profile. */
  doctorId: string | null;
  doctorClinicIds: string[];
  /** Set when the account has a patient profile. */
  patientId: string | null;
  [key: string]: unknown;
}

/**
 * Resolves a bearer access token to a principal, or null when the token is bad or expired, the
 * session was revoked (logout ends access at once, not 15 minutes later) or the account is off.
 */
export async function principalFromToken(em: EntityManager, secret: string, token: string): Promise<UserPrincipal | null> {
  const claims = verifyAccessToken(secret, token);
  if (!claims) return null;
  const session = await em.findOne(AuthSession, { id: claims.sid, user: claims.sub, revokedAt: null });
  if (!session || session.expiresAt.getTime() <= Date.now()) return null;
  const user = await em.findOne(UserAccount, { id: claims.sub, status: "active" });
  if (!user) return null;
  return loadPrincipal(em, user, session.id);
}

export async function loadPrincipal(em: EntityManager, user: UserAccount, sessionId: string): Promise<UserPrincipal> {
  const [memberships, doctor, patient] = await Promise.all([
    em.find(ClinicMembership, { user: user.id }),
    em.findOne(Doctor, { user: user.id }, { populate: ["clinics"] }),
    em.findOne(Patient, { user: user.id }),
  ]);
  return {
    kind: "user",
    id: user.id,
    userId: user.id,
    sessionId,
    role: user.role,
    memberships: memberships.map((m) => ({ clinicId: m.clinic.id, role: m.role })),
    doctorId: doctor?.id ?? null,
    doctorClinicIds: doctor ? doctor.clinics.getItems().map((clinic) => clinic.id) : [],
    patientId: patient?.id ?? null,
  };
}
