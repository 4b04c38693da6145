/** Small helpers the account screens share: signing in with a password, and a quick confirmation. */
import { loginResponseSchema } from "@clinic/shared";
import { ApiError, api } from "../../lib/api";
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

/**
 * Runs an API call and moves the named problem codes onto a form field (a wrong code belongs to the
 * code field, a wrong current password to that field), so useSubmit marks the field itself.
 */
export async function withFieldCodes<T>(call: Promise<T>, fields: Record<string, string>): Promise<T> {
  try {
    return await call;
  } catch (error) {
    const field = error instanceof ApiError ? fields[error.code] : undefined;
    if (!(error instanceof ApiError) || !field || !error.problem) throw error;
    throw new ApiError(error.status, { ...error.problem, errors: [{ field: `body.${field}`, message: error.message }] }, error.message);
  }
}
