/**
 * The signed-in user's unread in-app messages, live on their own `me` topic: the snapshot's
 * `unreadNotifications`, +1 on `notification.created`, the server's count on `notification.read`.
 */
import { inboxItemSchema, meSnapshotSchema, notificationReadEventSchema, type EventEnvelope } from "@clinic/shared";
import { useTopic } from "./useTopic";

export function unreadFromSnapshot(snapshot: unknown): number {
  return meSnapshotSchema.parse(snapshot).unreadNotifications;
}

export function reduceUnread(unread: number, event: EventEnvelope): number {
  if (event.type === "notification.created" && inboxItemSchema.safeParse(event.data).success) return unread + 1;
  if (event.type === "notification.read") {
    const parsed = notificationReadEventSchema.safeParse(event.data);
    return parsed.success ? parsed.data.unread : unread;
  }
  return unread;
}

export function useUnreadCount(onEvent?: (event: EventEnvelope) => void) {
  return useTopic<number>("me", { fromSnapshot: unreadFromSnapshot, reduce: reduceUnread, onEvent });
}
