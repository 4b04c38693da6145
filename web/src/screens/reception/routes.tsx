import type { ScreenRoute } from "../../lib/routes";

/** Reception screens. */
export const receptionRoutes: ScreenRoute[] = [];
