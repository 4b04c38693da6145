/** Notifications: templates, preferences, the message outbox, delivery and the inbox (docs/notifications.md). */
import type { Module } from "../../platform/module";
import { OutboxMessageSchema } from "./outbox.entity";
import { NotificationPreferenceSchema } from "./preference.entity";
import { notificationRoutes } from "./notifications.routes";
import { notificationJobs } from "./notifications.jobs";

export const notificationsModule: Module = {
  name: "notifications",
  entities: () => [OutboxMessageSchema, NotificationPreferenceSchema],
  routes: (ctx) => notificationRoutes(ctx),
  jobs: (ctx) => notificationJobs(ctx),
};

// What other modules may use.
export { unreadCount } from "./inbox.service";
export { dispatchMessages, notify } from "./notify";
export { enqueueMessage } from "./outbox.service";
export { readPreferences, reminderPreferencesOf, writePreferences, type QuietHours } from "./preferences";
