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
