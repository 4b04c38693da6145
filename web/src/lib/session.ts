/**
 * The signed-in session: tokens and the user, kept in localStorage so a reload stays signed in.
 * A tiny external store (subscribe/getSnapshot) so React reads it with useSyncExternalStore.
 */
import { useSyncExternalStore } from "react";
import { userSchema, type User } from "@clinic/shared";
import { z } from "zod";

const STORAGE_KEY = "clinic-live.session";

const storedSessionSchema = z.object({
  accessToken: z.string(),
  refreshToken: z.string(),
  /** Epoch ms when the access token expires (refreshed a little before). */
  expiresAt: z.number(),
  user: userSchema,
});
export type Session = z.infer<typeof storedSessionSchema>;

function load(): Session | null {
  try {
    const raw = localStorage.getItem(STORAGE_KEY);
    if (!raw) return null;
    const parsed = storedSessionSchema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

let current: Session | null = load();
const listeners = new Set<() => void>();

export const sessionStore = {
  get(): Session | null {
    return current;
  },
  set(next: Session | null): void {
    current = next;
    if (next) localStorage.setItem(STORAGE_KEY, JSON.stringify(next));
    else localStorage.removeItem(STORAGE_KEY);
    for (const listener of listeners) listener();
  },
  /** New tokens from /auth/refresh: the user stays. */
  updateTokens(tokens: { accessToken: string; refreshToken: string; expiresIn: number }): void {
    if (!current) return;
    sessionStore.set({ ...current, ...tokens, expiresAt: Date.now() + tokens.expiresIn * 1000 });
  },
  setUser(user: User): void {
    if (current) sessionStore.set({ ...current, user });
  },
  subscribe(listener: () => void): () => void {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
};

// Another tab signing in or out changes this one too.
window.addEventListener("storage", (event) => {
  if (event.key !== STORAGE_KEY) return;
  current = load();
  for (const listener of listeners) listener();
});

export function useSession(): Session | null {
  return useSyncExternalStore(sessionStore.subscribe, sessionStore.get);
}
