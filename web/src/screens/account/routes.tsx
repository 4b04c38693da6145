import type { PublicRoute, ScreenRoute } from "../../lib/routes";

/** Account screens for a signed-in user (security, two-factor set-up). */
export const accountRoutes: ScreenRoute[] = [];

/** Screens reachable without signing in (register, verify, reset password). */
export const publicAccountRoutes: PublicRoute[] = [];
