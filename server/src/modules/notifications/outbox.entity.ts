import { randomUUID } from "node:crypto";
import { defineEntity, p } from "@mikro-orm/core";
import { notificationChannels, deliveryStatuses } from "@clinic/shared";
import { UserAccount } from "../identity";

/**
 * A message to send, written in the transaction that causes it; delivery jobs pick it up and record
 * what happened. Nothing is ever silently dropped. In-app messages are also the user's inbox
 * (`readAt`).
 */
export const OutboxMessageSchema = defineEntity({
  name: "OutboxMessage",
  tableName: "notification_outbox",
  indexes: [
    { properties: ["status", "createdAt"] },
    { properties: ["clinicId", "createdAt"] },
    // The inbox: a user's in-app rows, newest first.
    { properties: ["user", "channel", "createdAt"] },
  ],
  properties: {
    id: p.uuid().primary().onCreate(() => randomUUID()),
    user: () => p.manyToOne(UserAccount).nullable().deleteRule("set null").index(),
    /** The clinic the message is about, so its admins can see what was (not) sent. */
    clinicId: p.uuid().nullable(),
    channel: p.enum(notificationChannels),
    recipient: p.string(),
    template: p.string().length(64),
    language: p.string().length(16).default("en"),
    payload: p.json<Record<string, unknown>>(),
    /** A stable key for messages jobs write: a retried job writes the same message once. */
    dedupeKey: p.string().length(200).nullable().unique(),
    status: p.enum(deliveryStatuses).default("queued"),
    statusDetail: p.text().nullable(),
    attempts: p.integer().default(0),
    providerId: p.string().length(200).nullable(),
    sentAt: p.datetime().nullable(),
    deliveredAt: p.datetime().nullable(),
    readAt: p.datetime().nullable(),
    createdAt: p.datetime().defaultRaw("now()").onCreate(() => new Date()),
    updatedAt: p.datetime().defaultRaw("now()").onCreate(() => new Date()).onUpdate(() => new Date()),
  },
});
export class OutboxMessage extends OutboxMessageSchema.class {}
OutboxMessageSchema.setClass(OutboxMessage);
