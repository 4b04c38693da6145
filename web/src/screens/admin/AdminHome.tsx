/** The clinic admin's home: one menu entry leads here, and here to each admin page. */
import type { UserRole } from "@clinic/shared";
import { Link } from "../../lib/router";
import type { Session } from "../../lib/session";

const PAGES: { to: string; title: string; about: string; roles: UserRole[] }[] = [
  { to: "/admin/analytics", title: "Analytics", about: "Bookings, cancellations, no-shows, occupancy, waits and revenue, with the busy and idle hours.", roles: ["clinic_admin"] },
  { to: "/admin/services", title: "Services", about: "What the clinic offers: names, lengths, colours, prices.", roles: ["clinic_admin"] },
  { to: "/admin/templates", title: "Templates and bulk changes", about: "Weekly templates applied to doctors, bulk resize/block/delete, cloning days — always previewed first.", roles: ["clinic_admin"] },
  { to: "/admin/import", title: "Import and export", about: "Slots from a CSV or iCalendar file, checked row by row before anything is written.", roles: ["clinic_admin"] },
  { to: "/admin/rules", title: "Booking rules and settings", about: "Limits on bookings, and the clinic's check-in, no-show and walk-in settings.", roles: ["clinic_admin"] },
  { to: "/admin/handover", title: "Hand over appointments", about: "A doctor away: move their appointments in a date range to a colleague, previewed first.", roles: ["clinic_admin"] },
  { to: "/admin/staff", title: "Staff and doctor approval", about: "Who works here, and doctors waiting for approval.", roles: ["clinic_admin", "platform_admin"] },
  { to: "/admin/screens", title: "Waiting-room screens", about: "Display tokens for the screens in the waiting room.", roles: ["clinic_admin"] },
  { to: "/admin/reviews", title: "Reviews", about: "Patients' reviews of the clinic's doctors; hide abusive ones.", roles: ["clinic_admin"] },
  { to: "/admin/audit", title: "Audit log", about: "Every change, who made it and when.", roles: ["clinic_admin", "platform_admin"] },
];

export function AdminHome({ session }: { session: Session }) {
  const pages = PAGES.filter((page) => page.roles.includes(session.user.role));
  return (
    <section className="panel" aria-labelledby="admin-home">
      <h1 id="admin-home">Clinic admin</h1>
      <ul className="admin-menu">
        {pages.map((page) => (
          <li key={page.to}>
            <Link to={page.to} className="admin-card">
              <strong>{page.title}</strong>
              <span>{page.about}</span>
            </Link>
          </li>
        ))}
      </ul>
    </section>
  );
}
