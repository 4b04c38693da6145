/**
 * Forgotten password: ask for a code (POST /auth/password/forgot, always 202 so it never tells
 * whether the address has an account), then set a new password with it (POST /auth/password/reset).
 * A reset ends every session, so the page ends with "sign in".
 */
import { useId, useState } from "react";
import { identityAcceptedResponseSchema } from "@clinic/shared";
import { FormError, TextField, useSubmit } from "../../components/Field";
import { api } from "../../lib/api";
import { Link, useSearchParams } from "../../lib/router";
import { EMAIL_CODE_FIELD } from "./auth";


type Step = "ask" | "reset" | "done";

export function ResetPassword({ start = "ask" }: { start?: Step }) {
  const id = useId();
  const params = useSearchParams();
  const [step, setStep] = useState<Step>(start);
  const [email, setEmail] = useState(params.get("email") ?? "");
  const [code, setCode] = useState("");
  const [password, setPassword] = useState("");
  const [sent, setSent] = useState<string | null>(null);

  const ask = useSubmit(async () => {
    await api("/auth/password/forgot", { method: "POST", auth: false, body: { email: email.trim() }, schema: identityAcceptedResponseSchema });
    setSent(`If ${email.trim()} has an account, a 6-digit reset code is on its way. It is valid for 10 minutes.`);
    setStep("reset");
  });
  const reset = useSubmit(async () => {
    const body = { email: email.trim(), code: code.trim(), newPassword: password };
    await api("/auth/password/reset", { method: "POST", auth: false, body });
    setStep("done");
  }, EMAIL_CODE_FIELD);

  if (step === "done") {
    return (
      <section className="panel narrow" aria-labelledby={`${id}-heading`}>
        <h1 id={`${id}-heading`}>Password changed</h1>
        <p role="status">Your password is reset and you were signed out everywhere. Sign in with the new password.</p>
        <Link className="button" to="/sign-in">Sign in</Link>
      </section>
    );
  }

  return (
    <>
      <section className="panel narrow" aria-labelledby={`${id}-heading`}>
        <h1 id={`${id}-heading`}>{step === "ask" ? "Forgot your password?" : "Choose a new password"}</h1>
        {step === "ask" ? (
          <form onSubmit={ask.onSubmit()} noValidate>
            <p>Enter the email of your account and we will send you a code to reset the password.</p>
            <FormError message={ask.formError} />
            <TextField label="Email" type="email" autoComplete="email" value={email} onChange={(e) => setEmail(e.target.value)}
              error={ask.fieldErrors.email} />
            <div className="account-actions">
              <button type="submit" className="button" disabled={ask.busy}>{ask.busy ? "Sending…" : "Send reset code"}</button>
              <button type="button" className="button button-quiet" onClick={() => setStep("reset")}>I already have a code</button>
            </div>
          </form>
        ) : (
          <form onSubmit={reset.onSubmit()} noValidate>
            <p role="status" className="account-note">{sent}</p>
            <FormError message={reset.formError ?? ask.formError} />
            <TextField label="Email" type="email" autoComplete="username" value={email} onChange={(e) => setEmail(e.target.value)}
              error={reset.fieldErrors.email ?? ask.fieldErrors.email} />
            <TextField label="Reset code" inputMode="numeric" autoComplete="one-time-code" maxLength={6} value={code}
              onChange={(e) => setCode(e.target.value)} error={reset.fieldErrors.code} hint="6 digits, from the email we sent." />
            <TextField label="New password" type="password" autoComplete="new-password" value={password}
              onChange={(e) => setPassword(e.target.value)} error={reset.fieldErrors.newPassword} hint="Use 8 or more characters." />
            <div className="account-actions">
              <button type="submit" className="button" disabled={reset.busy}>{reset.busy ? "Saving…" : "Set new password"}</button>
              <button type="button" className="button button-quiet" disabled={ask.busy || !email.trim()} onClick={() => void ask.run()}>
                {ask.busy ? "Sending…" : "Send a new code"}
              </button>
            </div>
          </form>
        )}
      </section>
      <p className="account-links"><Link to="/sign-in">Back to sign in</Link></p>
    </>
  );
}
