import { defineEntity, p } from "@mikro-orm/core";

/**
 * A stored answer to a retried write: the same user sending the same `Idempotency-Key` to the same
 * route with the same body gets the first answer again; a different body is refused.
 */
export const IdempotencyRecordSchema = defineEntity({
  name: "IdempotencyRecord",
  tableName: "idempotency_record",
  properties: {
    userId: p.uuid().primary(),
    key: p.string().length(128).primary(),
    route: p.string().length(128),
    requestHash: p.string().length(64),
    responseStatus: p.integer(),
    responseBody: p.json<unknown>(),
    createdAt: p.datetime().defaultRaw("now()").onCreate(() => new Date()),
  },
});
export class IdempotencyRecord extends IdempotencyRecordSchema.class {}
IdempotencyRecordSchema.setClass(IdempotencyRecord);
