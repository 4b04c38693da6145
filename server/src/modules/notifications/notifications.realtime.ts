/**
 * The only place that turns committed inbox changes into socket events: `notification.created`
 * (a delivered in-app message) and `notification.read` (read marks, with the unread count) to the
 * user's own `me:{userId}` room, so every screen of theirs follows.
 */
import { topics, type DomainEvent } from "@clinic/shared";
import type { ModuleContext } from "../../platform/module";
import type { Subscriber } from "../../platform/outbox";

export function notificationRealtime(ctx: ModuleContext): Subscriber {
  return {
    name: "notification-realtime",
    wants: (name) => name === "notification.created" || name === "notification.read",
    async handle(events: DomainEvent[]) {
      for (const event of events) {
        if (event.name === "notification.created") await ctx.events.publish(topics.me(event.data.userId), event.name, event.data.item);
        if (event.name === "notification.read") await ctx.events.publish(topics.me(event.data.userId), event.name, { ids: event.data.ids, unread: event.data.unread });
      }
    },
  };
}
