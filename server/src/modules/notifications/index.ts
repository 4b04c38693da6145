/** Notifications: templates, preferences, the message outbox, delivery and the inbox (docs/notifications.md). */
import type { Module } from "../../platform/module";
import { OutboxMessageSchema } from "./outbox.entity";
import { NotificationPreferenceSchema } from "./preference.entity";
import { notificationRoutes } from "./notifications.routes";
import { notificationJobs } from "./notifications.jobs";
import { notificationRealtime } from "./notifications.realtime";
import { dispatchMessages } from "./notify";
import { enqueueMessage } from "./outbox.service";

export const notificationsModule: Module = {
  name: "notifications",
  entities: () => [OutboxMessageSchema, NotificationPreferenceSchema],
  routes: (ctx) => notificationRoutes(ctx),
  jobs: (ctx) => notificationJobs(ctx),
  subscribers: (ctx) => [notificationRealtime(ctx)],
  // Identity's codes go out through the message outbox, whatever the person opted out of.
  provide: (ctx) => ({
    accountMessages: {
      enqueue: (tx, message) => enqueueMessage(tx, message).id,
      dispatch: (ids) => dispatchMessages(ctx, ids),
    },
  }),
};

// What other modules may use.
export { unreadCount } from "./inbox.service";
export { dispatchMessages, notify, type Notice } from "./notify";
export { readPreferences, reminderPreferencesOf, writePreferences, type QuietHours } from "./preferences";
