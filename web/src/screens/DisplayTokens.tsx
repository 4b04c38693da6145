/**
 * Clinic admin: the clinic's waiting-room screens (display tokens). Creating one shows, once, the
 * address to open on the screen (`/display?clinic=…#token=…`); revoking one disconnects its screen.
 */
import { useCallback, useEffect, useId, useState, type FormEvent } from "react";
import { createdDisplayTokenSchema, displayTokenListSchema, displayTokenSchema, type CreatedDisplayToken, type DisplayTokenView } from "@clinic/shared";
import { ApiError, api } from "../lib/api";
import type { Session } from "../lib/session";

type ListState = { kind: "loading" } | { kind: "error"; message: string } | { kind: "loaded"; items: DisplayTokenView[] };

export function screenAddress(created: CreatedDisplayToken): string {
  return `${location.origin}/display?clinic=${created.clinicId}#token=${created.token}`;
}

export function DisplayTokens({ session }: { session: Session }) {
  const id = useId();
  const clinics = session.user.memberships.filter((m) => m.role === "clinic_admin").map((m) => m.clinicId);
  const [clinicId, setClinicId] = useState(clinics[0] ?? "");
  const [list, setList] = useState<ListState>({ kind: "loading" });
  const [name, setName] = useState("");
  const [nameError, setNameError] = useState<string | null>(null);
  const [formError, setFormError] = useState<string | null>(null);
  const [created, setCreated] = useState<CreatedDisplayToken | null>(null);
  const [busy, setBusy] = useState(false);

  const load = useCallback(async () => {
    if (!clinicId) return;
    setList({ kind: "loading" });
    try {
      const reply = await api(`/clinics/${clinicId}/display-tokens`, { schema: displayTokenListSchema });
      setList({ kind: "loaded", items: reply.items });
    } catch (error) {
      setList({ kind: "error", message: error instanceof Error ? error.message : "Could not load the screens." });
    }
  }, [clinicId]);
  useEffect(() => void load(), [load]);

  async function create(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setNameError(null);
    setFormError(null);
    try {
      const reply = await api(`/clinics/${clinicId}/display-tokens`, { method: "POST", body: { name }, schema: createdDisplayTokenSchema });
      setCreated(reply);
      setName("");
      await load();
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      const fields = error.fieldErrors();
      if (fields.name) setNameError(fields.name);
      else setFormError(error.message);
    } finally {
      setBusy(false);
    }
  }

  async function revoke(token: DisplayTokenView) {
    if (!window.confirm(`Revoke "${token.name}"? Its screen goes blank at once.`)) return;
    try {
      await api(`/display-tokens/${token.id}`, { method: "DELETE", schema: displayTokenSchema });
      await load();
    } catch (error) {
      setFormError(error instanceof Error ? error.message : "Could not revoke the screen.");
    }
  }

  if (clinics.length === 0) {
    return <section className="panel"><h1>Screens</h1><p>You are not a clinic admin of any clinic.</p></section>;
  }

  return (
    <>
      <section className="panel" aria-labelledby={`${id}-heading`}>
        <h1 id={`${id}-heading`}>Waiting-room screens</h1>
        {clinics.length > 1 && (
          <div className="field">
            <label htmlFor={`${id}-clinic`}>Clinic</label>
            <select id={`${id}-clinic`} value={clinicId} onChange={(e) => setClinicId(e.target.value)}>
              {clinics.map((c) => <option key={c} value={c}>{c}</option>)}
            </select>
          </div>
        )}
        <form onSubmit={create} noValidate>
          {formError && <p className="form-error" role="alert">{formError}</p>}
          <div className="field">
            <label htmlFor={`${id}-name`}>Screen name</label>
            <input id={`${id}-name`} value={name} onChange={(e) => setName(e.target.value)} placeholder="Lobby TV"
              aria-invalid={!!nameError} aria-describedby={nameError ? `${id}-name-error` : undefined} />
            {nameError && <p className="field-error" id={`${id}-name-error`}>{nameError}</p>}
          </div>
          <button type="submit" className="button" disabled={busy}>{busy ? "Creating…" : "Create screen"}</button>
        </form>
        {created && (
          <div className="created-token" role="status">
            <p><strong>{created.name}</strong> is ready. Open this address on the screen; it is shown only now:</p>
            <p className="mono" data-testid="screen-address">{screenAddress(created)}</p>
            <button type="button" className="button button-quiet" onClick={() => void navigator.clipboard?.writeText(screenAddress(created))}>
              Copy address
            </button>
          </div>
        )}
      </section>
      <section className="panel" aria-labelledby={`${id}-list`}>
        <h2 id={`${id}-list`}>Screens</h2>
        {list.kind === "loading" && <p role="status">Loading…</p>}
        {list.kind === "error" && <p className="form-error" role="alert">{list.message}</p>}
        {list.kind === "loaded" && list.items.length === 0 && <p>No screens yet.</p>}
        {list.kind === "loaded" && list.items.length > 0 && (
          <ul className="checks" data-testid="screens">
            {list.items.map((token) => (
              <li key={token.id} className="check">
                <span className="check-name">{token.name}</span>
                <span className="check-latency">
                  {token.revokedAt ? "Revoked" : token.lastUsedAt ? `Last seen ${new Date(token.lastUsedAt).toLocaleString()}` : "Never used"}
                </span>
                {!token.revokedAt && (
                  <button type="button" className="button button-quiet" onClick={() => void revoke(token)} aria-label={`Revoke ${token.name}`}>
                    Revoke
                  </button>
                )}
              </li>
            ))}
          </ul>
        )}
      </section>
    </>
  );
}
