/**
 * The screen table's shape: every area (patient, doctor, reception, admin, account) lists its own
 * screens in screens/<area>/routes.tsx and App.tsx puts them together, so areas never edit one file.
 */
import type { ReactNode } from "react";
import type { UserRole } from "@clinic/shared";
import type { Session } from "./session";

export interface ScreenRoute {
  /** A path pattern: "/patient/doctors/:doctorId". */
  path: string;
  /** Who may open it; others get "page not found". */
  roles: readonly UserRole[] | "all";
  /** The label in the main navigation; screens reached from another screen have none. */
  nav?: string;
  /** Boards and calendars: the page uses the window's width instead of the reading column. */
  wide?: boolean;
  render(props: { session: Session; params: Record<string, string> }): ReactNode;
}

/** Screens for people who are not signed in (register, verify, reset password). */
export interface PublicRoute {
  path: string;
  render(props: { params: Record<string, string> }): ReactNode;
}

export function allows(route: ScreenRoute, role: UserRole): boolean {
  return route.roles === "all" || route.roles.includes(role);
}
