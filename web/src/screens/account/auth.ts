/** Small helpers the account screens share: signing in with a password, ending the local session, the code field. */
import { loginResponseSchema } from "@clinic/shared";
import { api } from "../../lib/api";
import { closeAll } from "../../lib/realtime";
import { navigate } from "../../lib/router";
import { sessionStore } from "../../lib/session";

/** POST /auth/login and store the session (used right after verifying a new account). */
export async function signInWithPassword(email: string, password: string): Promise<void> {
  const reply = await api("/auth/login", { method: "POST", auth: false, body: { email, password }, schema: loginResponseSchema });
  navigate("/", { replace: true });
  sessionStore.set({
    accessToken: reply.accessToken,
    refreshToken: reply.refreshToken,
    expiresAt: Date.now() + reply.expiresIn * 1000,
    user: reply.user,
  });
}

/** Forget the local session after the server ended it (sign out everywhere). */
export function endLocalSession(): void {
  closeAll();
  sessionStore.set(null);
  navigate("/sign-in", { replace: true });
}

/** useSubmit options putting a wrong, expired or used-up emailed code on the form's `code` field. */
export const EMAIL_CODE_FIELD = { fieldCodes: { CODE_INVALID: "code", CODE_EXPIRED: "code", CODE_EXHAUSTED: "code" } };
