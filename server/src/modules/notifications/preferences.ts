/**
 * What a user wants to receive: channels they opted into, quiet hours and language. Patients set
 * theirs on their record (`reminderPreferences`, `preferredLanguage`); everyone else gets defaults.
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import { reminderPreferencesSchema, type NotificationChannel } from "@clinic/shared";

export interface QuietHours {
  /** Local wall-clock "HH:MM" in the clinic's zone; the window may wrap midnight. */
  start: string;
  end: string;
}

export interface UserPreferences {
  userId: string;
  channels: Record<NotificationChannel, boolean>;
  quietHours: QuietHours | null;
  language: string;
  email: string | null;
  phone: string | null;
}

export const DEFAULT_QUIET_HOURS: QuietHours = { start: "21:00", end: "08:00" };

/** Preferences and contact details of each user, in one round trip. Unknown users are left out. */
export async function readPreferences(em: EntityManager, userIds: string[]): Promise<Map<string, UserPreferences>> {
  if (userIds.length === 0) return new Map();
  const rows = await em.execute<
    { id: string; email: string | null; phone: string | null; reminder_preferences: unknown; preferred_language: string | null }[]
  >(
    `select u.id, coalesce(p.email, u.email) as email, coalesce(p.phone, u.phone) as phone, p.reminder_preferences, p.preferred_language
       from user_account u left join patient p on p.user_id = u.id
      where u.id = any(?::uuid[])`,
    [`{${[...new Set(userIds)].join(",")}}`],
  );
  return new Map(
    rows.map((row) => {
      const stored = reminderPreferencesSchema.parse(row.reminder_preferences ?? {});
      return [
        row.id,
        {
          userId: row.id,
          channels: { email: stored.email, sms: stored.sms, push: stored.push, in_app: true },
          quietHours: DEFAULT_QUIET_HOURS,
          language: row.preferred_language ?? "en",
          email: row.email,
          phone: row.phone,
        },
      ];
    }),
  );
}
