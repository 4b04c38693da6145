import { useEffect, useId, useRef, useState, type FormEvent } from "react";
import { loginResponseSchema } from "@clinic/shared";
import { ApiError, api } from "../lib/api";
import { sessionStore } from "../lib/session";
import { Link, navigate } from "../lib/router";

/** Email + password; the TOTP field appears when the server answers TOTP_REQUIRED. */
export function SignIn() {
  const id = useId();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [totp, setTotp] = useState("");
  const [needsTotp, setNeedsTotp] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const totpRef = useRef<HTMLInputElement>(null);
  // When the code field appears, move focus there for keyboard and screen-reader users.
  useEffect(() => {
    if (needsTotp) totpRef.current?.focus();
  }, [needsTotp]);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    setFieldErrors({});
    try {
      const reply = await api("/auth/login", {
        method: "POST",
        auth: false,
        body: { email: email.trim(), password, ...(needsTotp && totp ? { totp: totp.trim() } : {}) },
        schema: loginResponseSchema,
      });
      sessionStore.set({
        accessToken: reply.accessToken,
        refreshToken: reply.refreshToken,
        expiresAt: Date.now() + reply.expiresIn * 1000,
        user: reply.user,
      });
      navigate("/", { replace: true });
    } catch (caught) {
      if (!(caught instanceof ApiError)) throw caught;
      if (caught.code === "TOTP_REQUIRED") {
        setNeedsTotp(true);
        setError("Enter the 6-digit code from your authenticator app (or a backup code).");
      } else {
        setError(caught.message);
        setFieldErrors(caught.fieldErrors());
      }
    } finally {
      setBusy(false);
    }
  }

  const describe = (field: string) => (fieldErrors[field] ? `${id}-${field}-error` : undefined);

  return (
    <section className="panel narrow" aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`}>Sign in</h2>
      <form onSubmit={submit} noValidate>
        {error && (
          <p className="form-error" role="alert">
            {error}
          </p>
        )}
        <div className="field">
          <label htmlFor={`${id}-email`}>Email</label>
          <input id={`${id}-email`} type="email" autoComplete="username" required value={email}
            onChange={(e) => setEmail(e.target.value)} aria-invalid={!!fieldErrors.email} aria-describedby={describe("email")} />
          {fieldErrors.email && <p className="field-error" id={`${id}-email-error`}>{fieldErrors.email}</p>}
        </div>
        <div className="field">
          <label htmlFor={`${id}-password`}>Password</label>
          <input id={`${id}-password`} type="password" autoComplete="current-password" required value={password}
            onChange={(e) => setPassword(e.target.value)} aria-invalid={!!fieldErrors.password} aria-describedby={describe("password")} />
          {fieldErrors.password && <p className="field-error" id={`${id}-password-error`}>{fieldErrors.password}</p>}
        </div>
        {needsTotp && (
          <div className="field">
            <label htmlFor={`${id}-totp`}>Authenticator code</label>
            <input id={`${id}-totp`} ref={totpRef} inputMode="numeric" autoComplete="one-time-code" value={totp}
              onChange={(e) => setTotp(e.target.value)} aria-invalid={!!fieldErrors.totp} aria-describedby={describe("totp")} />
            {fieldErrors.totp && <p className="field-error" id={`${id}-totp-error`}>{fieldErrors.totp}</p>}
          </div>
        )}
        <button type="submit" className="button" disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
      </form>
      <p className="account-links">
        <Link to="/register">Create an account</Link>
        <Link to="/forgot-password">Forgot password?</Link>
      </p>
    </section>
  );
}
