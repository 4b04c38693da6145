import type { ScreenRoute } from "../../lib/routes";
import { lazyScreen } from "../../lib/lazy";
import "./admin.css";

/** This area's screens, one chunk loaded when the first of them opens (lib/lazy.ts). */
const screens = () => import("./screens");
const AdminHome = lazyScreen(screens, (m) => m.AdminHome);
const Analytics = lazyScreen(screens, (m) => m.Analytics);
const Audit = lazyScreen(screens, (m) => m.Audit);
const BookingRules = lazyScreen(screens, (m) => m.BookingRules);
const DisplayTokens = lazyScreen(screens, (m) => m.DisplayTokens);
const AdminHandover = lazyScreen(screens, (m) => m.AdminHandover);
const Import = lazyScreen(screens, (m) => m.Import);
const AdminReviews = lazyScreen(screens, (m) => m.AdminReviews);
const Services = lazyScreen(screens, (m) => m.Services);
const Staff = lazyScreen(screens, (m) => m.Staff);
const Templates = lazyScreen(screens, (m) => m.Templates);

/** Clinic admin screens: one menu entry ("Clinic admin") to the admin home, which links to the rest. */
export const adminRoutes: ScreenRoute[] = [
  { path: "/admin", roles: ["clinic_admin", "platform_admin"], nav: "Clinic admin", render: ({ session }) => <AdminHome session={session} /> },
  { path: "/admin/analytics", roles: ["clinic_admin"], wide: true, render: ({ session }) => <Analytics session={session} /> },
  { path: "/admin/services", roles: ["clinic_admin"], render: ({ session }) => <Services session={session} /> },
  { path: "/admin/templates", roles: ["clinic_admin"], render: ({ session }) => <Templates session={session} /> },
  { path: "/admin/import", roles: ["clinic_admin"], render: ({ session }) => <Import session={session} /> },
  { path: "/admin/rules", roles: ["clinic_admin"], render: ({ session }) => <BookingRules session={session} /> },
  { path: "/admin/handover", roles: ["clinic_admin"], render: ({ session }) => <AdminHandover session={session} /> },
  { path: "/admin/staff", roles: ["clinic_admin", "platform_admin"], render: ({ session }) => <Staff session={session} /> },
  { path: "/admin/screens", roles: ["clinic_admin"], render: ({ session }) => <DisplayTokens session={session} /> },
  { path: "/admin/reviews", roles: ["clinic_admin"], render: ({ session }) => <AdminReviews session={session} /> },
  { path: "/admin/audit", roles: ["clinic_admin", "platform_admin"], render: ({ session }) => <Audit session={session} /> },
];
