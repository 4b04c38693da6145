import type { ReactNode } from "react";
import type { UserRole } from "@clinic/shared";
import { LiveIndicator } from "../components/LiveIndicator";
import { api } from "../lib/api";
import { closeAll } from "../lib/realtime";
import { Link, navigate } from "../lib/router";
import { sessionStore, type Session } from "../lib/session";
import { useUnreadCount } from "../lib/unread";
import { screenRoutes } from "./routes";

const NOTIFICATIONS_PATH = "/notifications";

interface NavItem {
  to: string;
  label: string;
  roles: readonly UserRole[] | "all";
}

/** What each role may open: home, the area screens that carry a menu label, the display. */
const NAV: NavItem[] = [
  { to: "/", label: "Home", roles: "all" },
  ...screenRoutes.flatMap((route) => (route.nav ? [{ to: route.path, label: route.nav, roles: route.roles }] : [])),
  { to: "/display", label: "Waiting-room display", roles: ["receptionist", "clinic_admin", "platform_admin"] },
];

export function navFor(role: UserRole): NavItem[] {
  return NAV.filter((item) => item.roles === "all" || item.roles.includes(role));
}

async function signOut() {
  try {
    await api("/auth/logout", { method: "POST" });
  } catch {
    // Signing out locally is what matters; the session expires on the server anyway.
  }
  closeAll();
  sessionStore.set(null);
  navigate("/sign-in", { replace: true });
}

/** "Notifications" carries the live unread count, in words for screen readers too. */
function NavLabel({ item, unread }: { item: NavItem; unread: number }) {
  if (item.to !== NOTIFICATIONS_PATH || unread === 0) return <>{item.label}</>;
  return (
    <>
      {item.label} <span className="nav-count" data-testid="nav-unread">{unread}<span className="visually-hidden"> unread</span></span>
    </>
  );
}

/** The signed-in frame: role-aware navigation and the live indicator of the user's own topic. */
export function Shell({ session, wide = false, children }: { session: Session; wide?: boolean; children: ReactNode }) {
  const me = useUnreadCount();
  return (
    <>
      <a className="skip-link" href="#main">Skip to content</a>
      <header className="site-header">
        <div className="container header-row">
          <p className="brand">Clinic Live</p>
          <nav aria-label="Main">
            <ul className="nav-list">
              {navFor(session.user.role).map((item) => (
                <li key={item.to}>
                  <Link to={item.to}><NavLabel item={item} unread={me.state ?? 0} /></Link>
                </li>
              ))}
            </ul>
          </nav>
          <div className="header-tools">
            <LiveIndicator status={me.status} detail={me.error} />
            <span className="user-name">{session.user.displayName}</span>
            <button type="button" className="button button-quiet" onClick={() => void signOut()}>
              Sign out
            </button>
          </div>
        </div>
      </header>
      <main id="main" className={wide ? "container container-wide" : "container"} tabIndex={-1}>
        {children}
      </main>
    </>
  );
}
