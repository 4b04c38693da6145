import { z } from "zod";
import { instantSchema } from "./calendar";

export const auditEventSchema = z.object({
  id: z.number().int(),
  at: instantSchema,
  actorId: z.uuid().nullable(),
  /** The actor's display name (null for the system, or an account since removed). */
  actorName: z.string().nullable(),
  actorRole: z.string().nullable(),
  action: z.string(),
  entityType: z.string(),
  entityId: z.string().nullable(),
  clinicId: z.uuid().nullable(),
  ip: z.string().nullable(),
  userAgent: z.string().nullable(),
  requestId: z.string().nullable(),
  before: z.unknown().nullable(),
  after: z.unknown().nullable(),
});
export type AuditEventView = z.infer<typeof auditEventSchema>;

export const auditQuerySchema = z.strictObject({
  /** Required for clinic admins (their clinic); optional for platform admins. */
  clinicId: z.uuid().optional(),
  actorId: z.uuid().optional(),
  action: z.string().max(64).optional(),
  entityType: z.string().max(64).optional(),
  entityId: z.string().max(64).optional(),
  from: instantSchema.optional(),
  to: instantSchema.optional(),
  /** Events with an id below this one (newest first). */
  before: z.coerce.number().int().positive().optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
export type AuditQuery = z.infer<typeof auditQuerySchema>;

export const auditPageSchema = z.object({ items: z.array(auditEventSchema), nextBefore: z.number().int().nullable() });
