/**
 * What a user wants to receive: channels they opted into, quiet hours and language. Choices live in
 * `notification_preference` (no row = the defaults below); the language is the patient's
 * `preferredLanguage`, else English.
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import type {
  NotificationChannel,
  NotificationPreferencesView,
  ReminderPreferences,
  UpdateNotificationPreferences,
} from "@clinic/shared";

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
export const DEFAULT_CHANNELS = { email: true, sms: false, push: false } as const;

interface PreferenceRow {
  id: string;
  email: string | null;
  phone: string | null;
  preferred_language: string | null;
  has_row: boolean;
  want_email: boolean | null;
  want_sms: boolean | null;
  want_push: boolean | null;
  quiet_hours_start: string | null;
  quiet_hours_end: string | null;
}

/** Preferences and contact details of each user, in one round trip. Unknown users are left out. */
export async function readPreferences(em: EntityManager, userIds: string[]): Promise<Map<string, UserPreferences>> {
  if (userIds.length === 0) return new Map();
  const rows = await em.execute<PreferenceRow[]>(
    `select u.id, coalesce(p.email, u.email) as email, coalesce(p.phone, u.phone) as phone, p.preferred_language,
            n.user_id is not null as has_row, n.email as want_email, n.sms as want_sms, n.push as want_push,
            n.quiet_hours_start, n.quiet_hours_end
       from user_account u
       left join patient p on p.user_id = u.id
       left join notification_preference n on n.user_id = u.id
      where u.id = any(?::uuid[])`,
    [`{${[...new Set(userIds)].join(",")}}`],
  );
  return new Map(rows.map((row) => [row.id, toPreferences(row)]));
}

function toPreferences(row: PreferenceRow): UserPreferences {
  const quietHours = !row.has_row
    ? DEFAULT_QUIET_HOURS
    : row.quiet_hours_start && row.quiet_hours_end
      ? { start: row.quiet_hours_start, end: row.quiet_hours_end }
      : null;
  return {
    userId: row.id,
    channels: {
      email: row.want_email ?? DEFAULT_CHANNELS.email,
      sms: row.want_sms ?? DEFAULT_CHANNELS.sms,
      push: row.want_push ?? DEFAULT_CHANNELS.push,
      in_app: true,
    },
    quietHours,
    language: row.preferred_language ?? "en",
    email: row.email,
    phone: row.phone,
  };
}

export function preferencesView(preferences: UserPreferences): NotificationPreferencesView {
  const { email, sms, push } = preferences.channels;
  return { email, sms, push, inApp: true, quietHours: preferences.quietHours, language: preferences.language };
}

/** The patient record's older shape of the same choices (`reminderPreferences`). */
export function reminderPreferencesOf(preferences: UserPreferences | undefined): ReminderPreferences {
  const channels = preferences?.channels ?? { ...DEFAULT_CHANNELS, in_app: true };
  return { email: channels.email, sms: channels.sms, push: channels.push, inApp: true };
}

/**
 * Writes a user's choices inside the caller's transaction. `quietHours` left undefined keeps what
 * is stored (or the default for a first write).
 */
export async function writePreferences(
  tx: EntityManager,
  userId: string,
  input: Omit<UpdateNotificationPreferences, "quietHours"> & { quietHours?: QuietHours | null },
): Promise<void> {
  const keep = input.quietHours === undefined;
  const hours = keep ? DEFAULT_QUIET_HOURS : input.quietHours;
  await tx.execute(
    `insert into notification_preference (user_id, email, sms, push, quiet_hours_start, quiet_hours_end, updated_at)
     values (?, ?, ?, ?, ?, ?, now())
     on conflict (user_id) do update set email = excluded.email, sms = excluded.sms, push = excluded.push,
       quiet_hours_start = case when ? then notification_preference.quiet_hours_start else excluded.quiet_hours_start end,
       quiet_hours_end = case when ? then notification_preference.quiet_hours_end else excluded.quiet_hours_end end,
       updated_at = now()`,
    [userId, input.email, input.sms, input.push, hours?.start ?? null, hours?.end ?? null, keep, keep],
  );
}
