import type { EntityManager } from "@mikro-orm/postgresql";
import type { NotificationChannel } from "@clinic/shared";
import { OutboxMessage } from "./outbox.entity";

export interface OutgoingMessage {
  userId: string | null;
  channel: NotificationChannel;
  recipient: string;
  /** Template name, e.g. `identity.verify-code`. */
  template: string;
  payload: Record<string, unknown>;
}

/**
 * Queues a message in the outbox inside the caller's transaction: it exists exactly when the
 * change that caused it commits. Delivery (per channel, with status and retries) is the worker's.
 */
export function enqueueMessage(em: EntityManager, message: OutgoingMessage): OutboxMessage {
  return em.create(OutboxMessage, {
    user: message.userId,
    channel: message.channel,
    recipient: message.recipient,
    template: message.template,
    payload: message.payload,
  });
}
