/**
 * Delivering one outbox row (the `deliver` job). Only a `queued` row is sent, so a duplicate or
 * retried job whose message already left is a no-op. Each try is counted in `attempts` before the
 * provider is called; the outcome is written with a guard on `status = 'queued'`, scrubbing the
 * template's secret fields from the stored payload in the same statement.
 *
 * At-least-once: if the process dies after the provider accepted a message and before the status
 * write, the job runs again and the message is sent a second time (docs/notifications.md).
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import { recordEvents } from "../../platform/outbox";
import { UnrecoverableError } from "bullmq";
import type { DeliveryStatus, InboxItem, NotificationChannel } from "@clinic/shared";
import type { ModuleContext } from "../../platform/module";
import { PermanentDeliveryError, type ChannelSenders } from "./channels";
import { attachmentsOf, renderTemplate, scrubbed } from "./render";

interface OutboxRow {
  id: string;
  user_id: string | null;
  channel: NotificationChannel;
  recipient: string;
  template: string;
  language: string;
  payload: Record<string, unknown>;
  status: DeliveryStatus;
  created_at: Date;
}

export interface Attempt {
  /** True when this is the job's last try: a transient failure then fails the row for good. */
  last: boolean;
}

export type DeliveryOutcome = { outcome: "skipped"; status: DeliveryStatus | "missing" } | { outcome: DeliveryStatus };

export async function deliver(
  ctx: Pick<ModuleContext, "orm" | "events" | "log">,
  senders: ChannelSenders,
  outboxId: string,
  attempt: Attempt,
): Promise<DeliveryOutcome> {
  const em = ctx.orm.em.fork() as EntityManager;
  const [row] = await em.execute<OutboxRow[]>(
    `select id, user_id, channel, recipient, template, language, payload, status, created_at from notification_outbox where id = ?`,
    [outboxId],
  );
  if (!row) return { outcome: "skipped", status: "missing" };
  if (row.status !== "queued") return { outcome: "skipped", status: row.status };

  const sender = senders[row.channel];
  if (!sender) return finish(em, row, { status: "not_sent", detail: "no provider" });

  const claimed = await em.execute<{ attempts: number }[]>(
    `update notification_outbox set attempts = attempts + 1, updated_at = now() where id = ? and status = 'queued' returning attempts`,
    [row.id],
  );
  if (claimed.length === 0) return { outcome: "skipped", status: "sent" };

  const text = renderTemplate(row.template, row.language, row.payload);
  if (!text) return finish(em, row, { status: "failed", detail: `unknown template ${row.template}` });
  if (text.missing.length > 0) {
    return finish(em, row, { status: "failed", detail: `template ${row.template} is missing ${text.missing.join(", ")}` });
  }

  let result;
  try {
    const attachments = attachmentsOf(row.template, row.payload);
    result = await sender.send({ outboxId: row.id, userId: row.user_id, recipient: row.recipient, title: text.title, body: text.body, ...(attachments ? { attachments } : {}) });
  } catch (error) {
    if (error instanceof PermanentDeliveryError) {
      await finish(em, row, { status: "failed", detail: `${error.code}: ${error.message}` });
      throw new UnrecoverableError(`${row.channel} refused: ${error.message}`);
    }
    const reason = error instanceof Error ? error.message : String(error);
    if (attempt.last) {
      await finish(em, row, { status: "failed", detail: `gave up after ${claimed[0]!.attempts} attempts: ${reason}` });
    } else {
      await em.execute(`update notification_outbox set status_detail = ?, updated_at = now() where id = ? and status = 'queued'`, [
        `retrying: ${reason}`,
        row.id,
      ]);
    }
    throw error;
  }

  const inApp = row.channel === "in_app" && row.user_id ? { userId: row.user_id, item: { id: row.id, template: row.template, title: text.title, body: text.body, createdAt: new Date(row.created_at).toISOString(), readAt: null } satisfies InboxItem } : null;
  return finish(em, row, { status: result.status, detail: null, providerId: result.providerId }, inApp);
}

/**
 * Settles the row once (only while still queued). A delivered in-app message is the inbox entry:
 * its `notification.created` event is recorded with the row, so the user's screens hear of it.
 */
async function finish(
  em: EntityManager,
  row: OutboxRow,
  outcome: { status: Exclude<DeliveryStatus, "queued">; detail: string | null; providerId?: string | null },
  inApp: { userId: string; item: InboxItem } | null = null,
): Promise<DeliveryOutcome> {
  return em.transactional(async (tx) => {
    const updated = await tx.execute<{ id: string }[]>(
      `update notification_outbox
          set status = ?, status_detail = ?, provider_id = coalesce(?, provider_id), payload = ?,
              sent_at = case when ? in ('sent', 'delivered') then now() else sent_at end,
              delivered_at = case when ? = 'delivered' then now() else delivered_at end,
              updated_at = now()
        where id = ? and status = 'queued' returning id`,
      [
        outcome.status,
        outcome.detail,
        outcome.providerId ?? null,
        JSON.stringify(scrubbed(row.template, row.payload)),
        outcome.status,
        outcome.status,
        row.id,
      ],
    );
    if (updated.length === 0) return { outcome: "skipped", status: outcome.status };
    if (inApp && outcome.status === "delivered") await recordEvents(tx, [{ name: "notification.created", data: inApp }]);
    return { outcome: outcome.status };
  });
}
