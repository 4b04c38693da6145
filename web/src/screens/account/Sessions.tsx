/**
 * The account's live sessions (GET /auth/sessions): revoke one (DELETE /auth/sessions/:id) or sign out
 * everywhere (POST /auth/logout-all), which also ends this browser's session.
 */
import { useId } from "react";
import type { z } from "zod";
import type { sessionListSchema } from "@clinic/shared";
import { FormError, useSubmit } from "../../components/Field";
import { Async } from "../../components/States";
import { api } from "../../lib/api";
import { formatDateTime } from "../../lib/format";
import type { Loaded } from "../../lib/useLoad";
import { endLocalSession } from "./auth";
import { askToConfirm } from "../../components/Confirm";

export type SessionRow = z.infer<typeof sessionListSchema>["items"][number];

const localZone = Intl.DateTimeFormat().resolvedOptions().timeZone;

/** "Chrome on Android" from a user agent; good enough to tell one's own devices apart. */
export function describeAgent(agent: string | null): string {
  if (!agent) return "Unknown device";
  const browser = [["Edg/", "Edge"], ["Firefox/", "Firefox"], ["Chrome/", "Chrome"], ["Safari/", "Safari"]].find(([mark]) => agent.includes(mark!))?.[1];
  const system = [["Android", "Android"], ["iPhone", "iPhone"], ["iPad", "iPad"], ["Windows", "Windows"], ["Mac OS", "macOS"], ["Linux", "Linux"]]
    .find(([mark]) => agent.includes(mark!))?.[1];
  if (browser && system) return `${browser} on ${system}`;
  return browser ?? system ?? agent.slice(0, 60);
}

export function Sessions({ list }: { list: { state: Loaded<SessionRow[]>; reload: () => Promise<void> } }) {
  const id = useId();
  const revoke = useSubmit(async (row: SessionRow) => {
    await api(`/auth/sessions/${row.id}`, { method: "DELETE" });
    await list.reload();
  });
  const everywhere = useSubmit(async () => {
    if (!(await askToConfirm("Sign out on every device, including this one?", "Sign out everywhere"))) return;
    await api("/auth/logout-all", { method: "POST" });
    endLocalSession();
  });

  return (
    <section className="panel" aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`}>Where you are signed in</h2>
      <FormError message={revoke.formError ?? everywhere.formError} />
      <Async state={list.state} retry={() => void list.reload()}>
        {(rows) => (
          <ul className="checks account-sessions" aria-label="Sessions">
            {rows.map((row) => (
              <li key={row.id} className="check">
                <span className="check-name">
                  {describeAgent(row.userAgent)}
                  {row.current && <span className="badge badge-up account-badge">This device</span>}
                </span>
                <span className="account-session-detail">
                  {row.ip ? `${row.ip} · ` : ""}signed in {formatDateTime(row.createdAt, localZone)} · last active {formatDateTime(row.lastUsedAt, localZone)}
                </span>
                {!row.current && (
                  <button type="button" className="button button-quiet" disabled={revoke.busy} onClick={() => void revoke.run(row)}
                    aria-label={`Sign out ${describeAgent(row.userAgent)}, signed in ${formatDateTime(row.createdAt, localZone)}`}>
                    Sign out
                  </button>
                )}
              </li>
            ))}
          </ul>
        )}
      </Async>
      <div className="account-actions">
        <button type="button" className="button button-quiet" onClick={() => void list.reload()}>Refresh list</button>
        <button type="button" className="button" disabled={everywhere.busy} onClick={() => void everywhere.run()}>Sign out everywhere</button>
      </div>
    </section>
  );
}
