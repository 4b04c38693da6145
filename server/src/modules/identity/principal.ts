import type { EntityManager } from "@mikro-orm/postgresql";
import type { ClinicRole, UserRole } from "@clinic/shared";
import type { UserAccount } from "./user.entity";
import { prepared, runPrepared } from "../../platform/prepared";
import { verifyAccessToken } from "./tokens";

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

/** A signed-in user, or null for other principals (a waiting-room display). */
export const asUser = (principal: { kind: string; [key: string]: unknown }): UserPrincipal | null =>
  principal.kind === "user" && typeof principal.userId === "string" ? (principal as UserPrincipal) : null;

/**
 * Resolves a bearer access token to a principal, or null when the token is bad or expired, the
 * session was revoked (logout ends access at once, not 15 minutes later) or the account is off.
 * One query: this runs on every authenticated request and every socket handshake.
 */
export async function principalFromToken(em: EntityManager, secret: string, token: string): Promise<UserPrincipal | null> {
  const claims = verifyAccessToken(secret, token);
  if (!claims) return null;
  const [row] = await runPrepared(em, PRINCIPAL_OF_SESSION, [claims.sub, claims.sid]);
  return row ? principalOf(row, claims.sid) : null;
}

export async function loadPrincipal(em: EntityManager, user: UserAccount, sessionId: string): Promise<UserPrincipal> {
  const [row] = await em.getConnection().execute<PrincipalRow[]>(`${PRINCIPAL_SQL} where u.id = ?`, [user.id]);
  return principalOf(row!, sessionId);
}

interface PrincipalRow {
  id: string;
  role: UserRole;
  memberships: { clinicId: string; role: ClinicRole }[];
  doctor_id: string | null;
  doctor_clinic_ids: string[];
  patient_id: string | null;
}

const PRINCIPAL_SQL = `
  select u.id, u.role,
         coalesce((select json_agg(json_build_object('clinicId', m.clinic_id, 'role', m.role) order by m.clinic_id)
                     from clinic_membership m where m.user_id = u.id), '[]'::json) as memberships,
         d.id as doctor_id,
         coalesce((select array_agg(dc.clinic_id::text order by dc.clinic_id) from doctor_clinic dc where dc.doctor_id = d.id), '{}') as doctor_clinic_ids,
         p.id as patient_id
    from user_account u
    left join doctor d on d.user_id = u.id
    left join patient p on p.user_id = u.id`;

/** $1 user, $2 session: a prepared statement, as it runs on every request. */
const PRINCIPAL_OF_SESSION = prepared<PrincipalRow>(
  "identity_principal_of_session",
  `${PRINCIPAL_SQL}
     join auth_session s on s.user_id = u.id
    where u.id = $1 and s.id = $2 and s.revoked_at is null and s.expires_at > now() and u.status = 'active'`,
);

function principalOf(row: PrincipalRow, sessionId: string): UserPrincipal {
  return {
    kind: "user",
    id: row.id,
    userId: row.id,
    sessionId,
    role: row.role,
    memberships: row.memberships,
    doctorId: row.doctor_id,
    doctorClinicIds: row.doctor_clinic_ids,
    patientId: row.patient_id,
  };
}
