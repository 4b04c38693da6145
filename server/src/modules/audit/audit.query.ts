import type { EntityManager } from "@mikro-orm/postgresql";
import type { AuditEventView, AuditQuery } from "@clinic/shared";
import { AuditEvent } from "../../platform/audit.entity";

/** Newest first, keyset-paginated by id. */
export async function queryAudit(em: EntityManager, query: AuditQuery): Promise<{ items: AuditEventView[]; nextBefore: number | null }> {
  const where: Record<string, unknown> = {};
  if (query.clinicId) where.clinicId = query.clinicId;
  if (query.actorId) where.actorId = query.actorId;
  if (query.action) where.action = query.action;
  if (query.entityType) where.entityType = query.entityType;
  if (query.entityId) where.entityId = query.entityId;
  if (query.from || query.to) {
    where.at = { ...(query.from ? { $gte: new Date(query.from) } : {}), ...(query.to ? { $lt: new Date(query.to) } : {}) };
  }
  if (query.before) where.id = { $lt: query.before };
  const rows = await em.find(AuditEvent, where, { orderBy: { id: "desc" }, limit: query.limit + 1 });
  const page = rows.slice(0, query.limit);
  // Who the actors are, so the log reads as people rather than ids (one read for the page).
  const actorIds = [...new Set(page.map((row) => row.actorId).filter((id): id is string => Boolean(id)))];
  const names = new Map(
    actorIds.length === 0
      ? []
      : (await em.execute<{ id: string; display_name: string }[]>(`select id, display_name from user_account where id = any(?::uuid[])`, [`{${actorIds.join(",")}}`])).map(
          (user) => [user.id, user.display_name] as const,
        ),
  );
  return {
    items: page.map((row) => ({
      id: row.id,
      at: row.at.toISOString(),
      actorId: row.actorId ?? null,
      actorName: row.actorId ? (names.get(row.actorId) ?? null) : null,
      actorRole: row.actorRole ?? null,
      action: row.action,
      entityType: row.entityType,
      entityId: row.entityId ?? null,
      clinicId: row.clinicId ?? null,
      ip: row.ip ?? null,
      userAgent: row.userAgent ?? null,
      requestId: row.requestId ?? null,
      before: row.before ?? null,
      after: row.after ?? null,
    })),
    nextBefore: rows.length > query.limit ? page[page.length - 1]!.id : null,
  };
}
