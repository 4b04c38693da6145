import type { FastifyRequest } from "fastify";
import type { EntityManager } from "@mikro-orm/postgresql";
import { AuditEvent } from "./audit.entity";

/** Who did it and from where. */
export interface AuditActor {
  userId: string | null;
  role: string | null;
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
}

export function actorOf(request: FastifyRequest): AuditActor {
  return {
    userId: request.principal?.userId ?? null,
    role: request.principal?.role ?? null,
    ip: request.ip ?? null,
    userAgent: request.headers["user-agent"]?.slice(0, 512) ?? null,
    requestId: String(request.id),
  };
}

export interface AuditEntry {
  /** e.g. `clinic.update`, `patient.read` */
  action: string;
  entityType: string;
  entityId?: string | null;
  clinicId?: string | null;
  before?: unknown;
  after?: unknown;
}

/**
 * Adds an audit event to `em`'s unit of work: call it inside the transaction of the change, so the
 * change and its record commit (or roll back) together.
 */
export function recordAudit(em: EntityManager, actor: AuditActor, entry: AuditEntry): void {
  em.create(AuditEvent, {
    actorId: actor.userId,
    actorRole: actor.role,
    ip: actor.ip,
    userAgent: actor.userAgent,
    requestId: actor.requestId,
    action: entry.action,
    entityType: entry.entityType,
    entityId: entry.entityId ?? null,
    clinicId: entry.clinicId ?? null,
    before: entry.before ?? null,
    after: entry.after ?? null,
  });
}

/** The actor's columns of an audit row, in `auditInsertSql`'s order (`actor`). */
export const auditValues = (actor: AuditActor): unknown[] => [actor.userId, actor.role, actor.ip, actor.userAgent, actor.requestId];

/**
 * SQL inserting one audit row per row of `source` (a CTE of the same statement), for a writer whose
 * whole change is one statement: the row commits with it as `recordAudit`'s does with a transaction.
 * Every value is SQL; `actor` is the five actor columns (parameters for `auditValues`).
 */
export function auditInsertSql(
  source: string,
  values: { actor: [string, string, string, string, string]; action: string; entityType: string; entityId: string; clinicId: string; before?: string; after?: string },
): string {
  return `insert into audit_event (actor_id, actor_role, ip, user_agent, request_id, action, entity_type, entity_id, clinic_id, before, after, at)
    select ${values.actor.join(", ")}, ${values.action}, ${values.entityType}, ${values.entityId}, ${values.clinicId},
           ${values.before ?? "null"}, ${values.after ?? "null"}, now() from ${source}`;
}
