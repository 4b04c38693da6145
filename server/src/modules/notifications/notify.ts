/**
 * The one way modules tell a person something: `notify` writes one outbox row per channel the
 * person can receive, inside the caller's transaction; `dispatchMessages` queues their delivery
 * after commit. A channel the person opted out of, or has no address for, gets a `not_sent` row
 * saying why, so nothing disappears silently.
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import { notificationChannels, type NotificationChannel } from "@clinic/shared";
import type { ModuleContext } from "../../platform/module";
import { readPreferences, type UserPreferences } from "./preferences";
import { scrubbed, templateOf } from "./render";
import type { TemplateName } from "./templates";

export const DELIVERY_JOB = "deliver";

export interface Notice {
  userId: string;
  template: TemplateName;
  /** Display-ready values the template fills in (times already formatted in the clinic's zone). */
  payload: Record<string, unknown>;
  clinicId?: string | null;
  /** Stable for a notice a job may write twice (retry after a crash): each channel's row is written once. */
  key?: string;
  /** Limit to these channels (default: every channel). */
  channels?: readonly NotificationChannel[];
}

/** Outbox ids written (rows that already existed under the same key are not repeated). */
export async function notify(tx: EntityManager, notice: Notice, known?: UserPreferences): Promise<string[]> {
  const preferences = known ?? (await readPreferences(tx, [notice.userId])).get(notice.userId);
  if (!preferences) return [];
  // One row per channel, in one statement (this runs inside the caller's transaction).
  const rows = (notice.channels ?? notificationChannels).map((channel) => {
    const recipient = recipientFor(preferences, channel);
    // Codes and receipts go out whatever the user opted out of: they asked for them, or it is their money.
    const category = templateOf(notice.template)?.category;
    const optedOut = !preferences.channels[channel] && category !== "account" && category !== "receipt";
    const reason = optedOut ? "opted out" : recipient === null ? `no ${channel} address` : null;
    return [
      notice.userId,
      notice.clinicId ?? null,
      channel,
      recipient ?? "",
      notice.template,
      preferences.language,
      // A message that will never leave keeps no secrets either.
      JSON.stringify(reason ? scrubbed(notice.template, notice.payload) : notice.payload),
      notice.key ? `${notice.key}:${channel}` : null,
      reason ? "not_sent" : "queued",
      reason,
    ];
  });
  if (rows.length === 0) return [];
  const written = await tx.execute<{ id: string; status: string }[]>(
    `insert into notification_outbox (id, user_id, clinic_id, channel, recipient, template, language, payload, dedupe_key, status, status_detail, created_at, updated_at)
     values ${rows.map(() => "(gen_random_uuid(), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now(), now())").join(", ")}
     on conflict (dedupe_key) do nothing returning id, status`,
    rows.flat(),
    "all",
    tx.getTransactionContext(),
  );
  // Rows that already existed under the same key are not returned, so not dispatched twice.
  return written.filter((row) => row.status === "queued").map((row) => row.id);
}

function recipientFor(preferences: UserPreferences, channel: NotificationChannel): string | null {
  if (channel === "email") return preferences.email;
  if (channel === "sms") return preferences.phone;
  return preferences.userId;
}

/**
 * After commit: one delivery job per message (jobId `deliver-{id}`, so a second dispatch is a
 * no-op). Bounded by the Redis command timeout, as callers are often requests whose write has
 * committed; if it fails (Redis down) the outbox relay picks the rows up later.
 */
export async function dispatchMessages(ctx: Pick<ModuleContext, "queues" | "log">, outboxIds: string[]): Promise<void> {
  if (outboxIds.length === 0) return;
  // Callers pass their whole module context; the narrow type only says what they must have.
  const opts = deliveryJobOptions((ctx as Partial<ModuleContext>).config);
  try {
    await ctx.queues.addBulk(
      "notifications",
      outboxIds.map((id) => ({ name: DELIVERY_JOB, data: { outboxId: id }, opts: { ...opts, jobId: `deliver-${id}` } })),
    );
  } catch (error) {
    ctx.log.warn({ err: error, count: outboxIds.length }, "queueing deliveries failed; the outbox relay will retry");
  }
}

/** NOTIFY_ATTEMPTS tries with exponential back-off from NOTIFY_BACKOFF_MS (their defaults without a config). */
function deliveryJobOptions(config: ModuleContext["config"] | undefined) {
  return {
    attempts: config?.notifications.attempts ?? 5,
    backoff: { type: "exponential" as const, delay: config?.notifications.backoffMs ?? 2000 },
  };
}
