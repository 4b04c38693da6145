/** The loading, empty and error states every screen shows the same way. */
import type { ReactNode } from "react";
import type { Loaded } from "../lib/useLoad";

export function Loading({ label = "Loading…" }: { label?: string }) {
  return <p className="state state-loading" role="status">{label}</p>;
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="state state-empty">{children}</p>;
}

export function ErrorState({ message, retry }: { message: string; retry?: () => void }) {
  return (
    <div className="state state-error" role="alert">
      <p>{message}</p>
      {retry && <button type="button" className="button button-quiet" onClick={retry}>Try again</button>}
    </div>
  );
}

/**
 * Renders a useLoad state: the data when there is some (kept while reloading), otherwise the loading
 * or error state; `isEmpty` + `empty` give the empty state.
 */
export function Async<T>({ state, retry, children, isEmpty, empty }: {
  state: Loaded<T>;
  retry?: () => void;
  children: (data: T) => ReactNode;
  isEmpty?: (data: T) => boolean;
  empty?: ReactNode;
}) {
  const error = state.kind === "error" ? <ErrorState message={state.message} retry={retry} /> : null;
  if (state.data === undefined) return error ?? <Loading />;
  return (
    <>
      {error}
      {isEmpty?.(state.data) ? <Empty>{empty}</Empty> : children(state.data)}
    </>
  );
}
