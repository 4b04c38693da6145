/**
 * Asking before something that cannot be taken back (delete, revoke, sign out everywhere): an
 * accessible alert dialog (react-aria-components: focus moves into it and back, Escape cancels,
 * the page behind is inert) instead of the browser's `confirm()`. `askToConfirm()` opens it from any
 * handler and resolves true when the person confirms; `<ConfirmHost />` (main.tsx) draws it.
 */
import { Suspense, useSyncExternalStore } from "react";
import { lazyScreen } from "../lib/lazy";

// The dialog's library arrives the first time someone is asked, not with the app.
const ConfirmDialog = lazyScreen(() => import("./ConfirmDialog"), (m) => m.ConfirmDialog);

interface Question {
  text: string;
  action: string;
  answer(ok: boolean): void;
}

let current: Question | null = null;
const listeners = new Set<() => void>();
const publish = (next: Question | null) => {
  current = next;
  for (const listener of listeners) listener();
};

/** Resolves true when confirmed with the `action` button, false when cancelled (or another question replaces it). */
export function askToConfirm(text: string, action: string): Promise<boolean> {
  current?.answer(false);
  return new Promise((resolve) => publish({ text, action, answer: resolve }));
}

export function ConfirmHost() {
  const question = useSyncExternalStore(
    (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    () => current,
  );
  const settle = (ok: boolean) => {
    question?.answer(ok);
    publish(null);
  };
  if (!question) return null;
  return (
    <Suspense fallback={null}>
      <ConfirmDialog text={question.text} action={question.action} onAnswer={settle} />
    </Suspense>
  );
}
