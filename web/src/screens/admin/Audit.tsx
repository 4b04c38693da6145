/**
 * The audit log (GET /audit): newest first, filtered by action, actor and dates, "Older events" pages
 * back with the reply's `nextBefore`. Clinic admins see their clinic's events; platform admins all.
 */
import { useEffect, useState } from "react";
import { auditPageSchema, zonedToInstant, addDays, type AuditEventView, type ClinicSummary } from "@clinic/shared";
import { FormError, TextField, useSubmit } from "../../components/Field";
import { Empty } from "../../components/States";
import { api } from "../../lib/api";
import { formatDateTime } from "../../lib/format";
import type { Session } from "../../lib/session";
import { AdminFrame } from "./AdminFrame";

const PAGE = 50;
const BROWSER_ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone;

export function Audit({ session }: { session: Session }) {
  if (session.user.role === "platform_admin") {
    return (
      <>
        <section className="panel"><h1>Audit log</h1><p className="field-hint">Every clinic's events (times in your time zone).</p></section>
        <AuditLog clinic={null} />
      </>
    );
  }
  return <AdminFrame session={session} title="Audit log">{(clinic) => <AuditLog clinic={clinic} />}</AdminFrame>;
}

interface Filters { action: string; actorId: string; from: string; to: string }
const NO_FILTERS: Filters = { action: "", actorId: "", from: "", to: "" };

function AuditLog({ clinic }: { clinic: ClinicSummary | null }) {
  const zone = clinic?.timeZone ?? BROWSER_ZONE;
  const [draft, setDraft] = useState<Filters>(NO_FILTERS);
  const [events, setEvents] = useState<AuditEventView[] | null>(null);
  const [nextBefore, setNextBefore] = useState<number | null>(null);
  // The server names the actors; an account since removed shows its role and the start of its id.
  const actorName = (event: AuditEventView) => event.actorName ?? (event.actorId ? `${event.actorRole ?? "user"} ${event.actorId.slice(0, 8)}` : "system");

  const load = useSubmit(async (filters: Filters, before: number | null) => {
    const query = new URLSearchParams({ limit: String(PAGE) });
    if (clinic) query.set("clinicId", clinic.id);
    if (filters.action.trim()) query.set("action", filters.action.trim());
    if (filters.actorId.trim()) query.set("actorId", filters.actorId.trim());
    if (filters.from) query.set("from", zonedToInstant(filters.from, "00:00", zone).toISOString());
    if (filters.to) query.set("to", zonedToInstant(addDays(filters.to, 1), "00:00", zone).toISOString());
    if (before) query.set("before", String(before));
    const page = await api(`/audit?${query}`, { schema: auditPageSchema });
    setEvents((shown) => (before && shown ? [...shown, ...page.items] : page.items));
    setNextBefore(page.nextBefore);
  });
  // First page on arrival and whenever the clinic changes.
  const clinicKey = clinic?.id ?? "all";
  useEffect(() => {
    void load.run(NO_FILTERS, null);
    // load is new every render; the page reloads only when the clinic changes.
  }, [clinicKey]);

  const err = load.fieldErrors;
  return (
    <section className="panel" aria-labelledby="audit">
      <h2 id="audit">Events</h2>
      <form onSubmit={load.onSubmit(draft, null)} noValidate className="admin-form">
        <TextField label="Action" value={draft.action} onChange={(e) => setDraft({ ...draft, action: e.target.value })} error={err.action}
          hint="Exact, e.g. clinic.service.create" />
        <TextField label="Actor id" value={draft.actorId} onChange={(e) => setDraft({ ...draft, actorId: e.target.value })} error={err.actorId} className="mono" />
        <TextField label="From day" type="date" value={draft.from} onChange={(e) => setDraft({ ...draft, from: e.target.value })} error={err.from} />
        <TextField label="To day" type="date" value={draft.to} onChange={(e) => setDraft({ ...draft, to: e.target.value })} error={err.to} />
        <div className="admin-buttons">
          <button type="submit" className="button" disabled={load.busy}>Filter</button>
          <button type="button" className="button button-quiet" onClick={() => { setDraft(NO_FILTERS); void load.run(NO_FILTERS, null); }}>Clear</button>
        </div>
      </form>
      <FormError message={load.formError} />
      <p role="status" className="visually-hidden">{load.busy ? "Loading events…" : events ? `${events.length} event(s) shown` : ""}</p>
      {events && events.length === 0 && <Empty>No events match.</Empty>}
      {events && events.length > 0 && (
        <div className="admin-table-wrap">
          <table className="admin-table" data-testid="audit">
            <thead><tr><th scope="col">When</th><th scope="col">Who</th><th scope="col">Action</th><th scope="col">What</th><th scope="col">Details</th></tr></thead>
            <tbody>
              {events.map((e) => (
                <tr key={e.id}>
                  <td>{formatDateTime(e.at, zone)}</td>
                  <td>
                    {actorName(e)}
                    {e.actorId && (
                      <button type="button" className="button-link" onClick={() => { const next = { ...draft, actorId: e.actorId! }; setDraft(next); void load.run(next, null); }}>
                        only theirs<span className="visually-hidden"> ({actorName(e)})</span>
                      </button>
                    )}
                  </td>
                  <td className="mono">{e.action}</td>
                  <td>{e.entityType}{e.entityId ? <span className="mono"> {e.entityId.slice(0, 8)}</span> : null}</td>
                  <td><Details event={e} /></td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {nextBefore !== null && (
        <button type="button" className="button button-quiet" disabled={load.busy} onClick={() => void load.run(draft, nextBefore)}>Older events</button>
      )}
    </section>
  );
}

function Details({ event }: { event: AuditEventView }) {
  if (event.before == null && event.after == null) return <>—</>;
  return (
    <details>
      <summary>Before / after</summary>
      <pre className="admin-json">{JSON.stringify({ before: event.before, after: event.after }, null, 2)}</pre>
    </details>
  );
}
