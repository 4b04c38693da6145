/** Clinic staff: who holds receptionist / clinic_admin at a clinic (the identity module's memberships). */
import type { EntityManager } from "@mikro-orm/postgresql";
import type { ClinicMember, ClinicRole } from "@clinic/shared";
import { conflict, notFound, unprocessable } from "../../platform/errors";
import { recordAudit, type AuditActor } from "../../platform/audit";
import { UserAccount } from "../identity";
import { ClinicMembership } from "./membership.entity";
import { findClinic } from "./clinic.service";
import { writeTransaction } from "../../platform/transactions";

function memberView(membership: ClinicMembership): ClinicMember {
  return {
    id: membership.id,
    clinicId: membership.clinic.id,
    userId: membership.user.id,
    role: membership.role,
    displayName: membership.user.displayName,
    email: membership.user.email ?? null,
    createdAt: membership.createdAt.toISOString(),
  };
}

export async function listMembers(em: EntityManager, clinicId: string): Promise<ClinicMember[]> {
  await findClinic(em, clinicId, { includeInactive: true });
  const memberships = await em.find(
    ClinicMembership,
    { clinic: clinicId },
    { populate: ["user"], orderBy: { role: "asc", user: { displayName: "asc" }, id: "asc" } },
  );
  return memberships.map(memberView);
}

export async function addMember(
  em: EntityManager,
  actor: AuditActor,
  clinicId: string,
  input: { userId: string; role: ClinicRole },
): Promise<ClinicMember> {
  const exists = () =>
    conflict("MEMBERSHIP_EXISTS", `This user is already ${input.role} at this clinic`, { userId: input.userId });
  return writeTransaction(
    em,
    async (tx) => {
      const clinic = await findClinic(tx, clinicId, { includeInactive: true });
      const user = await tx.findOne(UserAccount, { id: input.userId });
      if (!user) throw unprocessable("UNKNOWN_USER", { userId: input.userId });
      if (user.status !== "active") throw unprocessable("USER_INACTIVE");
      if (user.role !== input.role) {
        throw unprocessable("ROLE_MISMATCH", `A ${user.role} account cannot hold the ${input.role} role`, {
          accountRole: user.role,
        });
      }
      if (await tx.count(ClinicMembership, { user: user.id, clinic: clinic.id, role: input.role })) throw exists();
      const membership = tx.create(ClinicMembership, { user, clinic, role: input.role });
      const after = memberView(membership);
      recordAudit(tx, actor, { action: "clinic.member.add", entityType: "ClinicMembership", entityId: membership.id, clinicId, after });
      await tx.flush();
      return memberView(membership);
    },
    exists,
  );
}

export async function removeMember(em: EntityManager, actor: AuditActor, clinicId: string, membershipId: string): Promise<void> {
  await writeTransaction(em, async (tx) => {
    const membership = await tx.findOne(ClinicMembership, { id: membershipId, clinic: clinicId }, { populate: ["user"] });
    if (!membership) throw notFound("Membership");
    const before = memberView(membership);
    tx.remove(membership);
    recordAudit(tx, actor, { action: "clinic.member.remove", entityType: "ClinicMembership", entityId: membershipId, clinicId, before });
  });
}
