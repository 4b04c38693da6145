import type { ScreenRoute } from "../../lib/routes";
import "./admin.css";
import { AdminHome } from "./AdminHome";
import { Audit } from "./Audit";
import { BookingRules } from "./BookingRules";
import { DisplayTokens } from "./DisplayTokens";
import { Import } from "./Import";
import { AdminReviews } from "./Reviews";
import { Services } from "./Services";
import { Staff } from "./Staff";
import { Templates } from "./Templates";

/** Clinic admin screens: one menu entry ("Clinic admin") to the admin home, which links to the rest. */
export const adminRoutes: ScreenRoute[] = [
  { path: "/admin", roles: ["clinic_admin", "platform_admin"], nav: "Clinic admin", render: ({ session }) => <AdminHome session={session} /> },
  { path: "/admin/services", roles: ["clinic_admin"], render: ({ session }) => <Services session={session} /> },
  { path: "/admin/templates", roles: ["clinic_admin"], render: ({ session }) => <Templates session={session} /> },
  { path: "/admin/import", roles: ["clinic_admin"], render: ({ session }) => <Import session={session} /> },
  { path: "/admin/rules", roles: ["clinic_admin"], render: ({ session }) => <BookingRules session={session} /> },
  { path: "/admin/staff", roles: ["clinic_admin", "platform_admin"], render: ({ session }) => <Staff session={session} /> },
  { path: "/admin/screens", roles: ["clinic_admin"], render: ({ session }) => <DisplayTokens session={session} /> },
  { path: "/admin/reviews", roles: ["clinic_admin"], render: ({ session }) => <AdminReviews session={session} /> },
  { path: "/admin/audit", roles: ["clinic_admin", "platform_admin"], render: ({ session }) => <Audit session={session} /> },
];
