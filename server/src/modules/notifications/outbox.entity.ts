import { randomUUID } from "node:crypto";
import { defineEntity, p } from "@mikro-orm/core";
import { notificationChannels, deliveryStatuses } from "@clinic/shared";
import { UserAccount } from "../identity/user.entity";

/**
 * A message to send, written in the transaction that causes it; delivery jobs pick it up and record
 * what happened. Nothing is ever silently dropped.
 */
export const OutboxMessageSchema = defineEntity({
  name: "OutboxMessage",
  tableName: "notification_outbox",
  indexes: [{ properties: ["status", "createdAt"] }],
  properties: {
    id: p.uuid().primary().onCreate(() => randomUUID()),
    user: () => p.manyToOne(UserAccount).nullable().deleteRule("set null").index(),
    channel: p.enum(notificationChannels),
    recipient: p.string(),
    template: p.string().length(64),
    payload: p.json<Record<string, unknown>>(),
    status: p.enum(deliveryStatuses).default("queued"),
    statusDetail: p.text().nullable(),
    createdAt: p.datetime().defaultRaw("now()").onCreate(() => new Date()),
  },
});
export class OutboxMessage extends OutboxMessageSchema.class {}
OutboxMessageSchema.setClass(OutboxMessage);
