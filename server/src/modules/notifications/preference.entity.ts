import { defineEntity, p } from "@mikro-orm/core";
import { UserAccount } from "../identity";

/**
 * A user's channel choices and quiet hours. No row means the defaults (preferences.ts); in-app is
 * always on, so it has no column.
 */
export const NotificationPreferenceSchema = defineEntity({
  name: "NotificationPreference",
  tableName: "notification_preference",
  checks: [
    {
      name: "notification_preference_quiet_hours_both",
      expression: "((quiet_hours_start IS NULL) = (quiet_hours_end IS NULL))",
    },
  ],
  properties: {
    user: () => p.oneToOne(UserAccount).owner().primary().deleteRule("cascade"),
    email: p.boolean().default(true),
    sms: p.boolean().default(false),
    push: p.boolean().default(false),
    /** Local "HH:MM"; both null means no quiet hours. */
    quietHoursStart: p.string().length(5).nullable(),
    quietHoursEnd: p.string().length(5).nullable(),
    updatedAt: p.datetime().defaultRaw("now()").onCreate(() => new Date()).onUpdate(() => new Date()),
  },
});
export class NotificationPreference extends NotificationPreferenceSchema.class {}
NotificationPreferenceSchema.setClass(NotificationPreference);
