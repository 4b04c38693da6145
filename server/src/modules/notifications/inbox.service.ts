/**
 * The in-app inbox: a user's `in_app` outbox rows, rendered in their language, newest first.
 * Rows that failed (a template with a hole) are not shown; queued ones are (the row is the entry,
 * the worker only marks it and pushes it live).
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import { recordEvents } from "../../platform/outbox";
import type { InboxItem, InboxQuery } from "@clinic/shared";
import { notFound } from "../../platform/errors";
import { recordAudit, type AuditActor } from "../../platform/audit";
import { renderTemplate } from "./render";

const SHOWN = `channel = 'in_app' and status in ('queued', 'delivered')`;

interface InboxRow {
  id: string;
  template: string;
  language: string;
  payload: Record<string, unknown>;
  created_at: Date;
  read_at: Date | null;
}

function itemOf(row: InboxRow): InboxItem {
  const text = renderTemplate(row.template, row.language, row.payload);
  return {
    id: row.id,
    template: row.template,
    title: text?.title ?? row.template,
    body: text?.body ?? "",
    createdAt: new Date(row.created_at).toISOString(),
    readAt: row.read_at ? new Date(row.read_at).toISOString() : null,
  };
}

export async function unreadCount(em: EntityManager, userId: string): Promise<number> {
  const [row] = await em.execute<{ n: string }[]>(`select count(*) n from notification_outbox where user_id = ? and ${SHOWN} and read_at is null`, [userId]);
  return Number(row?.n ?? 0);
}

export async function listInbox(em: EntityManager, userId: string, query: InboxQuery) {
  // Keyset on (created_at, id): the cursor is the last row's id, compared at full precision in SQL.
  const after = query.cursor
    ? `and (created_at, id) < (select created_at, id from notification_outbox where id = ? and user_id = ?)`
    : "";
  const rows = await em.execute<InboxRow[]>(
    `select id, template, language, payload, created_at, read_at from notification_outbox
      where user_id = ? and ${SHOWN} ${after}
      order by created_at desc, id desc limit ?`,
    [userId, ...(query.cursor ? [query.cursor, userId] : []), query.limit + 1],
  );
  const page = rows.slice(0, query.limit);
  return {
    items: page.map(itemOf),
    nextCursor: rows.length > query.limit ? page[page.length - 1]!.id : null,
    unread: await unreadCount(em, userId),
  };
}

/** Marks one message read (idempotent: a second call keeps the first time). 404 for anyone else's. */
export async function markRead(em: EntityManager, actor: AuditActor, userId: string, id: string): Promise<{ item: InboxItem; changed: boolean }> {
  return em.transactional(async (tx) => {
    const changed = await tx.execute<{ id: string }[]>(
      `update notification_outbox set read_at = now(), updated_at = now() where id = ? and user_id = ? and ${SHOWN} and read_at is null returning id`,
      [id, userId],
    );
    const [row] = await tx.execute<InboxRow[]>(
      `select id, template, language, payload, created_at, read_at from notification_outbox where id = ? and user_id = ? and ${SHOWN}`,
      [id, userId],
    );
    if (!row) throw notFound("Notification");
    if (changed.length > 0) {
      recordAudit(tx, actor, { action: "notification.read", entityType: "OutboxMessage", entityId: id });
      // The user's other screens hear it live (notifications.realtime.ts).
      await recordEvents(tx, [{ name: "notification.read", data: { userId, ids: [id], unread: await unreadCount(tx, userId) } }]);
    }
    return { item: itemOf(row), changed: changed.length > 0 };
  });
}

export async function markAllRead(em: EntityManager, actor: AuditActor, userId: string): Promise<number> {
  return em.transactional(async (tx) => {
    const changed = await tx.execute<{ id: string }[]>(
      `update notification_outbox set read_at = now(), updated_at = now() where user_id = ? and ${SHOWN} and read_at is null returning id`,
      [userId],
    );
    if (changed.length > 0) {
      recordAudit(tx, actor, { action: "notification.read_all", entityType: "OutboxMessage", after: { marked: changed.length } });
      await recordEvents(tx, [{ name: "notification.read", data: { userId, ids: "all", unread: 0 } }]);
    }
    return changed.length;
  });
}
