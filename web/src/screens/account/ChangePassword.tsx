/** POST /auth/password/change: the server ends every other session, so the session list reloads. */
import { useId, useState } from "react";
import { FormError, TextField, useSubmit } from "../../components/Field";
import { api } from "../../lib/api";

export function ChangePassword({ onChanged }: { onChanged: () => void }) {
  const id = useId();
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [done, setDone] = useState(false);

  const submit = useSubmit(async () => {
    setDone(false);
    const body = { currentPassword: current, newPassword: next };
    await api("/auth/password/change", { method: "POST", body });
    setCurrent("");
    setNext("");
    setDone(true);
    onChanged();
  }, { fieldCodes: { INVALID_CURRENT_PASSWORD: "currentPassword" } });

  return (
    <section className="panel" aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`}>Password</h2>
      <form onSubmit={submit.onSubmit()} noValidate className="account-form">
        <FormError message={submit.formError} />
        <TextField label="Current password" type="password" autoComplete="current-password" value={current}
          onChange={(e) => setCurrent(e.target.value)} error={submit.fieldErrors.currentPassword} />
        <TextField label="New password" type="password" autoComplete="new-password" value={next}
          onChange={(e) => setNext(e.target.value)} error={submit.fieldErrors.newPassword} hint="Use 8 or more characters." />
        <button type="submit" className="button" disabled={submit.busy}>{submit.busy ? "Changing…" : "Change password"}</button>
        <p role="status" className="account-note">{done ? "Password changed. Your other devices were signed out." : ""}</p>
      </form>
    </section>
  );
}
