import { defineEntity, p } from "@mikro-orm/core";

/**
 * Append-only: written in the transaction of the change it records; triggers refuse UPDATE, DELETE
 * and TRUNCATE at the database, whoever asks (the TRUNCATE one lives only in the migration: the
 * schema introspection cannot see statement-level triggers).
 */
export const AuditEventSchema = defineEntity({
  name: "AuditEvent",
  tableName: "audit_event",
  indexes: [
    { properties: ["entityType", "entityId"] },
    { properties: ["actorId"] },
    { properties: ["clinicId", "at"] },
  ],
  triggers: [
    {
      name: "audit_event_append_only",
      timing: "before",
      events: ["update", "delete"],
      forEach: "row",
      body: "raise exception 'audit_event is append-only'",
    },
  ],
  properties: {
    id: p.bigint("number").primary().autoincrement(),
    at: p.datetime().defaultRaw("now()").onCreate(() => new Date()),
    actorId: p.uuid().nullable(),
    actorRole: p.string().length(32).nullable(),
    action: p.string().length(64),
    entityType: p.string().length(64),
    entityId: p.string().length(64).nullable(),
    clinicId: p.uuid().nullable(),
    ip: p.string().length(64).nullable(),
    userAgent: p.string().length(512).nullable(),
    requestId: p.string().length(64).nullable(),
    before: p.json<unknown>().nullable(),
    after: p.json<unknown>().nullable(),
  },
});
export class AuditEvent extends AuditEventSchema.class {}
AuditEventSchema.setClass(AuditEvent);
