/**
 * Server state is TanStack Query's (docs/decisions.md): every API read is a query under a key that
 * names what it reads (["doctor", doctorId]), cached, deduplicated between screens that read the
 * same thing, and refreshed or patched from socket events through `queryClient`
 * (`invalidateQueries`, `setQueryData`). `useLoad(key, load)` is the screens' surface over
 * `useQuery`: the state of the read — loading, failed (with the message) or loaded, keeping what is
 * shown while it reloads — plus `reload()` and `setData()`.
 */
import { QueryClient, keepPreviousData, useQuery, type QueryKey } from "@tanstack/react-query";

export const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      // A failed read is shown at once with its Retry (the screens say what failed); live screens
      // refresh from socket events, not from window focus.
      retry: false,
      refetchOnWindowFocus: false,
    },
  },
});

export type Loaded<T> =
  | { kind: "loading"; data?: T }
  | { kind: "error"; message: string; data?: T }
  | { kind: "loaded"; data: T };

export function useLoad<T>(key: QueryKey, load: (signal: AbortSignal) => Promise<T>) {
  // A new key (another week, another filter) keeps the last answer shown until its own arrives.
  const query = useQuery({ queryKey: key, queryFn: ({ signal }) => load(signal), placeholderData: keepPreviousData });
  let state: Loaded<T>;
  if (query.isError) state = { kind: "error", message: query.error instanceof Error ? query.error.message : "Something went wrong.", data: query.data };
  else if (query.isFetching || query.isPending) state = { kind: "loading", data: query.data };
  else state = { kind: "loaded", data: query.data as T };
  return {
    state,
    reload: async () => {
      await query.refetch();
    },
    setData: (data: T) => queryClient.setQueryData(key, data),
  };
}
