/**
 * Clinic admin: the clinic's waiting-room screens (display tokens). Creating one shows, once, the
 * address to open on the screen (`/display?clinic=…#token=…`); revoking one disconnects its screen.
 */
import { useId, useState } from "react";
import { createdDisplayTokenSchema, displayTokenListSchema, displayTokenSchema, type CreatedDisplayToken, type DisplayTokenView } from "@clinic/shared";
import { ClinicPicker, useStaffClinics } from "../../components/ClinicPicker";
import { FormError, TextField, useSubmit } from "../../components/Field";
import { Async } from "../../components/States";
import { api } from "../../lib/api";
import type { Session } from "../../lib/session";
import { useLoad } from "../../lib/useLoad";
import { askToConfirm } from "../../components/Confirm";

export function screenAddress(created: CreatedDisplayToken): string {
  return `${location.origin}/display?clinic=${created.clinicId}#token=${created.token}`;
}

export function DisplayTokens({ session }: { session: Session }) {
  const id = useId();
  const staff = useStaffClinics(session, ["clinic_admin"]);
  const clinicId = staff.clinic?.id ?? null;
  const list = useLoad(
    ["display-tokens", clinicId],
    async (signal) => (clinicId ? (await api(`/clinics/${clinicId}/display-tokens`, { schema: displayTokenListSchema, signal })).items : []),
  );
  const [name, setName] = useState("");
  const [created, setCreated] = useState<CreatedDisplayToken | null>(null);

  const create = useSubmit(async () => {
    const reply = await api(`/clinics/${clinicId}/display-tokens`, { method: "POST", body: { name }, schema: createdDisplayTokenSchema });
    setCreated(reply);
    setName("");
    await list.reload();
  });
  const revoke = useSubmit(async (token: DisplayTokenView) => {
    if (!(await askToConfirm(`Revoke "${token.name}"? Its screen goes blank at once.`, "Revoke"))) return;
    await api(`/display-tokens/${token.id}`, { method: "DELETE", schema: displayTokenSchema });
    await list.reload();
  });

  if (!staff.hasAny) {
    return <section className="panel"><h1>Screens</h1><p>You are not a clinic admin of any clinic.</p></section>;
  }

  return (
    <>
      <section className="panel" aria-labelledby={`${id}-heading`}>
        <h1 id={`${id}-heading`}>Waiting-room screens</h1>
        <ClinicPicker clinics={staff.clinics} value={clinicId} onChange={staff.choose} />
        <form onSubmit={create.onSubmit()} noValidate>
          <FormError message={create.formError ?? revoke.formError} />
          <TextField label="Screen name" value={name} onChange={(e) => setName(e.target.value)} placeholder="Lobby TV"
            error={create.fieldErrors.name} />
          <button type="submit" className="button" disabled={create.busy || !clinicId}>{create.busy ? "Creating…" : "Create screen"}</button>
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
        <Async state={list.state} retry={() => void list.reload()} isEmpty={(items) => items.length === 0} empty="No screens yet.">
          {(items) => (
            <ul className="checks" data-testid="screens">
              {items.map((token) => (
                <li key={token.id} className="check">
                  <span className="check-name">{token.name}</span>
                  <span className="check-latency">
                    {token.revokedAt ? "Revoked" : token.lastUsedAt ? `Last seen ${new Date(token.lastUsedAt).toLocaleString()}` : "Never used"}
                  </span>
                  {!token.revokedAt && (
                    <button type="button" className="button button-quiet" onClick={() => void revoke.run(token)} aria-label={`Revoke ${token.name}`}>
                      Revoke
                    </button>
                  )}
                </li>
              ))}
            </ul>
          )}
        </Async>
      </section>
    </>
  );
}
