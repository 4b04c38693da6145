import type { ScreenRoute } from "../../lib/routes";

/** Patient screens. */
export const patientRoutes: ScreenRoute[] = [];
