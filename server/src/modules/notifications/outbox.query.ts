/** The outbox as admins see it: what happened to each message, never what it said. */
import type { EntityManager } from "@mikro-orm/postgresql";
import type { OutboxItem, OutboxQuery } from "@clinic/shared";

interface OutboxRow {
  id: string;
  user_id: string | null;
  clinic_id: string | null;
  channel: OutboxItem["channel"];
  recipient: string;
  template: string;
  status: OutboxItem["status"];
  status_detail: string | null;
  attempts: number;
  provider_id: string | null;
  created_at: Date;
  sent_at: Date | null;
  delivered_at: Date | null;
  updated_at: Date;
}

const iso = (value: Date | null) => (value ? new Date(value).toISOString() : null);

/** j***@example.com, +44******12; user ids (in-app, push) are not contact details and stay. */
export function maskRecipient(channel: OutboxItem["channel"], recipient: string): string {
  if (channel === "email") {
    const at = recipient.lastIndexOf("@");
    return at > 0 ? `${recipient[0]}***${recipient.slice(at)}` : "***";
  }
  if (channel === "sms") {
    return recipient.length > 6 ? `${recipient.slice(0, 3)}${"*".repeat(recipient.length - 5)}${recipient.slice(-2)}` : "***";
  }
  return recipient;
}

export async function listOutbox(em: EntityManager, query: OutboxQuery) {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (clause: string, ...values: unknown[]) => {
    where.push(clause);
    params.push(...values);
  };
  if (query.status) add("status = ?", query.status);
  if (query.channel) add("channel = ?", query.channel);
  if (query.clinicId) add("clinic_id = ?", query.clinicId);
  if (query.cursor) add("(created_at, id) < (select created_at, id from notification_outbox where id = ?)", query.cursor);
  const rows = await em.execute<OutboxRow[]>(
    `select id, user_id, clinic_id, channel, recipient, template, status, status_detail, attempts, provider_id,
            created_at, sent_at, delivered_at, updated_at
       from notification_outbox ${where.length ? `where ${where.join(" and ")}` : ""}
      order by created_at desc, id desc limit ?`,
    [...params, query.limit + 1],
  );
  const page = rows.slice(0, query.limit);
  const items: OutboxItem[] = page.map((row) => ({
    id: row.id,
    userId: row.user_id,
    clinicId: row.clinic_id,
    channel: row.channel,
    recipient: maskRecipient(row.channel, row.recipient),
    template: row.template,
    status: row.status,
    statusDetail: row.status_detail,
    attempts: row.attempts,
    providerId: row.provider_id,
    createdAt: iso(row.created_at)!,
    sentAt: iso(row.sent_at),
    deliveredAt: iso(row.delivered_at),
    updatedAt: iso(row.updated_at)!,
  }));
  return { items, nextCursor: rows.length > query.limit ? page[page.length - 1]!.id : null };
}
