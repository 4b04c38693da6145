import type { ScreenRoute } from "../../lib/routes";

/** Doctor screens. */
export const doctorRoutes: ScreenRoute[] = [];
