/**
 * useLoad(load, deps): the state of one API read — loading, failed (with the message) or loaded —
 * plus reload(). A newer load supersedes an older one still in flight, so a quick change of filters
 * never shows the older answer last.
 */
import { useCallback, useEffect, useRef, useState } from "react";

export type Loaded<T> =
  | { kind: "loading"; data?: T }
  | { kind: "error"; message: string; data?: T }
  | { kind: "loaded"; data: T };

export function useLoad<T>(load: (signal: AbortSignal) => Promise<T>, deps: readonly unknown[]) {
  const [state, setState] = useState<Loaded<T>>({ kind: "loading" });
  const generation = useRef(0);
  // The caller names the inputs of load in deps, as with useCallback.
  const run = useCallback(load, deps);

  const reload = useCallback(async () => {
    const mine = ++generation.current;
    const controller = new AbortController();
    // Keep what is shown while reloading, so a refresh does not blank the screen.
    setState((previous) => ({ kind: "loading", data: previous.data }));
    try {
      const data = await run(controller.signal);
      if (mine === generation.current) setState({ kind: "loaded", data });
    } catch (error) {
      if (mine !== generation.current) return;
      setState((previous) => ({
        kind: "error",
        message: error instanceof Error ? error.message : "Something went wrong.",
        data: previous.data,
      }));
    }
  }, [run]);

  useEffect(() => {
    void reload();
    return () => {
      generation.current++;
    };
  }, [reload]);

  return { state, reload, setData: (data: T) => setState({ kind: "loaded", data }) };
}
