/** Account activation. Deactivating also ends every open session of the account at once. */
import type { EntityManager } from "@mikro-orm/postgresql";
import { notFound, unprocessable } from "../../platform/errors";
import { recordAudit, type AuditActor } from "../../platform/audit";
import { revokeUserSessions, UserAccount } from "../identity";
import { writeTransaction } from "../../platform/transactions";

export async function setAccountStatus(em: EntityManager, actor: AuditActor, userId: string, active: boolean) {
  if (!active && actor.userId === userId) {
    throw unprocessable("CANNOT_DEACTIVATE_SELF");
  }
  return writeTransaction(em, async (tx) => {
    const user = await tx.findOne(UserAccount, { id: userId });
    if (!user) throw notFound("User");
    const before = { status: user.status };
    user.status = active ? "active" : "deactivated";
    await tx.flush();
    // In this transaction: the sessions end with the account, and their sockets close once it commits.
    const sessionsRevoked = active ? 0 : (await revokeUserSessions(tx, userId, "account_deactivated")).length;
    recordAudit(tx, actor, {
      action: active ? "user.activate" : "user.deactivate",
      entityType: "UserAccount",
      entityId: userId,
      before,
      after: { status: user.status, sessionsRevoked },
    });
    return { id: user.id, role: user.role, status: user.status, sessionsRevoked };
  });
}
