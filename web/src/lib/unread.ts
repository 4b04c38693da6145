/**
 * The signed-in user's unread in-app messages, live on their own `me` topic: the snapshot's
 * `unreadNotifications`, +1 on `notification.created`, the server's count on `notification.read`.
 */
import { eventData, meSnapshotSchema, MY_TOPIC, type ReceivedEvent } from "@clinic/shared";
import { useTopic } from "./useTopic";

export function unreadFromSnapshot(snapshot: unknown): number {
  return meSnapshotSchema.parse(snapshot).unreadNotifications;
}

export function reduceUnread(unread: number, event: ReceivedEvent): number {
  if (event.type === "notification.created" && eventData(event)) return unread + 1;
  if (event.type === "notification.read") return eventData(event)?.unread ?? unread;
  return unread;
}

export function useUnreadCount(onEvent?: (event: ReceivedEvent) => void) {
  return useTopic<number>(MY_TOPIC, { fromSnapshot: unreadFromSnapshot, reduce: reduceUnread, onEvent });
}
