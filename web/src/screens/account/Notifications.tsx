/**
 * The in-app inbox of any signed-in user (GET /me/notifications): newest first, new messages arrive live on `me`
 * (`notification.created`), the unread count comes from the topic (snapshot + `notification.read`).
 */
import { useId, useState } from "react";
import { eventData, inboxItemSchema, inboxPageSchema, readAllReplySchema, type InboxItem } from "@clinic/shared";
import { FormError, useSubmit } from "../../components/Field";
import { Async } from "../../components/States";
import { api } from "../../lib/api";
import { useLoad } from "../../lib/useLoad";
import { useUnreadCount } from "../../lib/unread";

export function Notifications() {
  const id = useId();
  const [items, setItems] = useState<InboxItem[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const first = useLoad(["notifications"], async (signal) => {
    const page = await api("/me/notifications?limit=20", { schema: inboxPageSchema, signal });
    setItems(page.items);
    setCursor(page.nextCursor);
    return page;
  });
  const live = useUnreadCount((event) => {
    if (event.type === "notification.created") {
      const created = eventData(event);
      if (created) setItems((list) => (list && !list.some((i) => i.id === created.id) ? [created, ...list] : list));
    } else if (event.type === "notification.read") {
      const ids = (event.data as { ids?: unknown }).ids;
      const at = event.at;
      setItems((list) => list?.map((i) => (i.readAt === null && (ids === "all" || (Array.isArray(ids) && ids.includes(i.id))) ? { ...i, readAt: at } : i)) ?? null);
    }
  });
  const unread = live.state ?? first.state.data?.unread ?? 0;

  const more = useSubmit(async () => {
    const page = await api(`/me/notifications?limit=20&cursor=${cursor}`, { schema: inboxPageSchema });
    setItems((list) => [...(list ?? []), ...page.items]);
    setCursor(page.nextCursor);
  });
  const read = useSubmit(async (item: InboxItem) => {
    const updated = await api(`/me/notifications/${item.id}/read`, { method: "POST", schema: inboxItemSchema });
    setItems((list) => list?.map((i) => (i.id === updated.id ? updated : i)) ?? null);
  });
  const readAll = useSubmit(async () => {
    await api("/me/notifications/read-all", { method: "POST", schema: readAllReplySchema });
    setItems((list) => list?.map((i) => i.readAt ? i : { ...i, readAt: new Date().toISOString() }) ?? null);
  });

  return (
    <section className="panel" aria-labelledby={`${id}-inbox`}>
      <div className="inbox-head">
        <h1 id={`${id}-inbox`}>Notifications</h1>
        <p className="badge unread-count" role="status" data-testid="unread-count">{unread === 0 ? "No unread" : `${unread} unread`}</p>
      </div>
      <FormError message={read.formError ?? readAll.formError ?? more.formError} />
      {unread > 0 && <button type="button" className="button button-quiet" disabled={readAll.busy} onClick={() => void readAll.run()}>Mark all as read</button>}
      <Async state={first.state} retry={() => void first.reload()} isEmpty={() => (items ?? []).length === 0} empty="No notifications yet.">
        {() => (
          <ul className="inbox" data-testid="inbox" aria-live="polite">
            {(items ?? []).map((item) => (
              <li key={item.id} className={item.readAt ? "inbox-item" : "inbox-item inbox-unread"}>
                <p className="inbox-title">
                  {!item.readAt && <span className="badge badge-new">New</span>} <strong>{item.title}</strong>
                </p>
                <p>{item.body}</p>
                <p className="field-hint">{new Date(item.createdAt).toLocaleString()}</p>
                {!item.readAt && (
                  <button type="button" className="button button-quiet" onClick={() => void read.run(item)} aria-label={`Mark "${item.title}" as read`}>Mark as read</button>
                )}
              </li>
            ))}
          </ul>
        )}
      </Async>
      {cursor && <button type="button" className="button button-quiet" disabled={more.busy} onClick={() => void more.run()}>Older notifications</button>}
    </section>
  );
}
