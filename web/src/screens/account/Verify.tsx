/**
 * Verifying an email address with the 6-digit code the server sent (POST /auth/verify), with
 * "send a new code" (POST /auth/verify/resend). Right after registering, the password typed there is
 * still in memory and the new account is signed in at once; from the /verify page it says "sign in".
 */
import { useId, useState } from "react";
import { identityAcceptedResponseSchema, verifyResponseSchema } from "@clinic/shared";
import { FormError, TextField, useSubmit } from "../../components/Field";
import { api } from "../../lib/api";
import { Link, navigate, useSearchParams } from "../../lib/router";
import { EMAIL_CODE_FIELD, signInWithPassword } from "./auth";
import { DevMailboxLink } from "./DevMailbox";


/** `landing`: where a new account goes once signed in (default the home page). */
export function VerifyCode({ email: given, password, landing = "/" }: { email?: string; password?: string; landing?: string }) {
  const id = useId();
  const [email, setEmail] = useState(given ?? "");
  const [code, setCode] = useState("");
  const [sent, setSent] = useState<string | null>(null);
  const [verified, setVerified] = useState(false);
  const [signInFailed, setSignInFailed] = useState(false);

  const verify = useSubmit(async () => {
    setSent(null);
    const body = { email: email.trim(), code: code.trim() };
    await api("/auth/verify", { method: "POST", auth: false, body, schema: verifyResponseSchema });
    setVerified(true);
    if (!password) return;
    try {
      await signInWithPassword(body.email, password);
      if (landing !== "/") navigate(landing);
    } catch {
      // Verified all the same: the plain "sign in" page below takes over.
      setSignInFailed(true);
    }
  }, EMAIL_CODE_FIELD);
  const resend = useSubmit(async () => {
    setSent(null);
    await api("/auth/verify/resend", { method: "POST", auth: false, body: { email: email.trim() }, schema: identityAcceptedResponseSchema });
    setSent(`If ${email.trim()} still needs verifying, a new code is on its way. Earlier codes no longer work.`);
  });

  if (verified && (!password || signInFailed)) {
    return (
      <section className="panel narrow" aria-labelledby={`${id}-heading`}>
        <h1 id={`${id}-heading`}>Email verified</h1>
        <p role="status">Your email address is verified. You can sign in now.</p>
        <Link className="button" to="/sign-in">Sign in</Link>
      </section>
    );
  }

  return (
    <section className="panel narrow" aria-labelledby={`${id}-heading`}>
      <h1 id={`${id}-heading`}>Verify your email</h1>
      {given ? (
        <p>We sent a 6-digit code to <strong className="mono">{given}</strong>. It is valid for 10 minutes.</p>
      ) : (
        <p>Enter your email address and the 6-digit code we sent you.</p>
      )}
      <form onSubmit={verify.onSubmit()} noValidate>
        <FormError message={verify.formError ?? resend.formError} />
        {!given && (
          <TextField label="Email" type="email" autoComplete="email" value={email} onChange={(e) => setEmail(e.target.value)}
            error={verify.fieldErrors.email ?? resend.fieldErrors.email} />
        )}
        <TextField label="Verification code" inputMode="numeric" autoComplete="one-time-code" maxLength={6} value={code}
          onChange={(e) => setCode(e.target.value)} error={verify.fieldErrors.code} hint="6 digits, from the email we sent." />
        <div className="account-actions">
          <button type="submit" className="button" disabled={verify.busy}>{verify.busy ? "Verifying…" : "Verify"}</button>
          <button type="button" className="button button-quiet" disabled={resend.busy} onClick={() => void resend.run()}>
            {resend.busy ? "Sending…" : "Send a new code"}
          </button>
        </div>
        <p role="status" className="account-note">{sent}</p>
      </form>
      <DevMailboxLink />
      {verified && password && <p role="status">Verified. Signing you in…</p>}
    </section>
  );
}

/** /verify: for someone who left the register page, or whose sign-in said the account is unverified. */
export function VerifyPage() {
  const params = useSearchParams();
  return (
    <>
      <VerifyCode key={params.get("email") ?? ""} email={params.get("email") ?? undefined} />
      <p className="account-links"><Link to="/sign-in">Back to sign in</Link></p>
    </>
  );
}
