/**
 * Routing is React Router's (docs/decisions.md): one catch-all route whose element routes with
 * `useRoutes` (App.tsx), so the route table stays the areas' own lists (screens/<area>/routes.tsx).
 * This module is the app's surface over it: `Link` (the current page marked `aria-current`),
 * `navigate()` from anywhere (event handlers, session expiry), the path and the query string.
 * The server answers every page path with index.html, so deep links work.
 */
import type { ComponentType } from "react";
import { createBrowserRouter, NavLink, useLocation, useSearchParams as useRouterSearchParams, type NavLinkProps } from "react-router";

let router: ReturnType<typeof createBrowserRouter> | null = null;

/** The browser router around the whole app (main.tsx). */
export function createAppRouter(App: ComponentType): ReturnType<typeof createBrowserRouter> {
  router = createBrowserRouter([{ path: "*", Component: App }]);
  return router;
}

export function navigate(to: string, options: { replace?: boolean } = {}): void {
  if (!router) throw new Error("navigate() before the router exists");
  void router.navigate(to, { replace: options.replace ?? false });
}

export function usePath(): string {
  return useLocation().pathname;
}

/** The current query string; re-renders when navigation changes it. */
export function useSearchParams(): URLSearchParams {
  return useRouterSearchParams()[0];
}

/** A link within the app; the link to the page shown (the whole path) has `aria-current="page"`. */
export function Link({ to, ...rest }: Omit<NavLinkProps, "to" | "end"> & { to: string }) {
  return <NavLink to={to} end {...rest} />;
}
