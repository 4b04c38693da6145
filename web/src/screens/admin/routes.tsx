import type { ScreenRoute } from "../../lib/routes";
import { DisplayTokens } from "./DisplayTokens";

/** Clinic admin screens. */
export const adminRoutes: ScreenRoute[] = [
  { path: "/admin/screens", roles: ["clinic_admin"], nav: "Screens", render: ({ session }) => <DisplayTokens session={session} /> },
];
