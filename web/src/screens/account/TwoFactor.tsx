/**
 * Two-factor sign-in: set-up shows the otpauth QR code and the secret as text (POST /auth/totp/setup),
 * a current code turns it on and the 10 backup codes are shown once (POST /auth/totp/enable), and a
 * code or backup code turns it off (POST /auth/totp/disable) except for staff, who must keep it.
 */
import { useEffect, useId, useRef, useState } from "react";
import { totpEnableResponseSchema, totpSetupResponseSchema, userSchema, type UserRole } from "@clinic/shared";
import { FormError, TextField, useSubmit } from "../../components/Field";
import { QrCode } from "../../components/QrCode";
import { ApiError, api } from "../../lib/api";
import { sessionStore, type Session } from "../../lib/session";

/** Mirrors the server's TOTP_STICKY_ROLES: once on, two-factor stays on for these roles. */
const STICKY: readonly UserRole[] = ["receptionist", "clinic_admin", "platform_admin"];

/** The secret in groups of four, as authenticator apps show keys (they ignore the spaces). */
/** A wrong authenticator code belongs on the code field. */
const CODE_FIELD = { fieldCodes: { TOTP_INVALID: "code" } };
const grouped = (secret: string) => secret.replace(/(.{4})/g, "$1 ").trim();

async function refreshUser() {
  sessionStore.setUser(await api("/me", { schema: userSchema }));
}

export function TwoFactor({ session }: { session: Session }) {
  const id = useId();
  const enabled = session.user.onboarding.twoFactorEnabled;
  const [setup, setSetup] = useState<{ secret: string; otpauthUri: string } | null>(null);
  const [backupCodes, setBackupCodes] = useState<string[] | null>(null);
  const [code, setCode] = useState("");
  const [notice, setNotice] = useState("");
  const codesRef = useRef<HTMLDivElement>(null);
  // The codes are shown once: take focus there so nobody misses them.
  useEffect(() => {
    if (backupCodes) codesRef.current?.focus();
  }, [backupCodes]);

  const start = useSubmit(async () => {
    setNotice("");
    try {
      setSetup(await api("/auth/totp/setup", { method: "POST", schema: totpSetupResponseSchema }));
    } catch (error) {
      // Turned on meanwhile (another tab): show the real state instead of an error.
      if (error instanceof ApiError && error.code === "TOTP_ALREADY_ENABLED") await refreshUser();
      else throw error;
    }
  });
  const enable = useSubmit(async () => {
    const reply = await api("/auth/totp/enable", { method: "POST", body: { code: code.trim() }, schema: totpEnableResponseSchema });
    setBackupCodes(reply.backupCodes);
    setSetup(null);
    setCode("");
    await refreshUser();
  }, CODE_FIELD);
  const disable = useSubmit(async () => {
    await api("/auth/totp/disable", { method: "POST", body: { code: code.trim() } });
    setCode("");
    setNotice("Two-factor sign-in is off.");
    await refreshUser();
  }, CODE_FIELD);

  return (
    <section className="panel" aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`}>Two-factor sign-in</h2>
      <p>
        Status: <strong className={`badge ${enabled ? "badge-up" : "account-badge-off"}`}>{enabled ? "On" : "Off"}</strong>
        {enabled ? " — signing in asks for a code from your authenticator app." : " — signing in needs only your password."}
      </p>
      <p role="status" className="account-note">{notice}</p>
      <FormError message={start.formError ?? enable.formError ?? disable.formError} />

      {backupCodes && (
        <div className="account-backup" ref={codesRef} tabIndex={-1} aria-labelledby={`${id}-codes`} role="region">
          <h3 id={`${id}-codes`}>Your backup codes</h3>
          <p>
            Each code signs you in once if you lose your phone. Keep them somewhere safe: <strong>they are shown only now.</strong>
          </p>
          <ol className="account-codes mono" aria-label="Backup codes">
            {backupCodes.map((backup) => <li key={backup}>{backup}</li>)}
          </ol>
          <div className="account-actions">
            <button type="button" className="button button-quiet" onClick={() => void navigator.clipboard?.writeText(backupCodes.join("\n"))}>
              Copy codes
            </button>
            <button type="button" className="button" onClick={() => setBackupCodes(null)}>I have saved them</button>
          </div>
        </div>
      )}

      {!enabled && !setup && (
        <button type="button" className="button" disabled={start.busy} onClick={() => void start.run()}>
          {start.busy ? "Starting…" : "Set up two-factor"}
        </button>
      )}

      {!enabled && setup && (
        <form onSubmit={enable.onSubmit()} noValidate className="account-totp-setup">
          <ol className="account-steps">
            <li>
              <p>Scan this QR code with an authenticator app (Google Authenticator, 1Password, Authy…).</p>
              <QrCode className="account-qr" value={setup.otpauthUri} label="QR code that adds Clinic Live to an authenticator app" />
            </li>
            <li>
              <p>Or type this key into the app:</p>
              <p className="mono account-secret" data-testid="totp-secret">{grouped(setup.secret)}</p>
            </li>
            <li>
              <TextField label="6-digit code from the app" inputMode="numeric" autoComplete="one-time-code" value={code}
                onChange={(e) => setCode(e.target.value)} error={enable.fieldErrors.code} />
            </li>
          </ol>
          <div className="account-actions">
            <button type="submit" className="button" disabled={enable.busy}>{enable.busy ? "Checking…" : "Turn on two-factor"}</button>
            <button type="button" className="button button-quiet" onClick={() => setSetup(null)}>Cancel</button>
          </div>
        </form>
      )}

      {enabled && !backupCodes && (STICKY.includes(session.user.role) ? (
        <p>Staff and admin accounts must keep two-factor sign-in on.</p>
      ) : (
        <form onSubmit={disable.onSubmit()} noValidate className="account-form">
          <TextField label="Code to turn it off" autoComplete="one-time-code" value={code} onChange={(e) => setCode(e.target.value)}
            error={disable.fieldErrors.code} hint="A code from your authenticator app, or a backup code." />
          <button type="submit" className="button button-quiet" disabled={disable.busy}>
            {disable.busy ? "Turning off…" : "Turn off two-factor"}
          </button>
        </form>
      ))}
    </section>
  );
}
