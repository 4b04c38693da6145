/** The clinic admin's analytics: every doctor of the chosen clinic (components/AnalyticsDashboard.tsx). */
import { AnalyticsDashboard } from "../../components/AnalyticsDashboard";
import type { Session } from "../../lib/session";
import { AdminFrame } from "./AdminFrame";

export function Analytics({ session }: { session: Session }) {
  return (
    <AdminFrame session={session} title="Analytics" intro="Bookings, cancellations, no-shows, occupancy, waits and revenue over the days you choose; every figure is defined in the docs.">
      {(clinic) => <AnalyticsDashboard key={clinic.id} clinic={clinic} />}
    </AdminFrame>
  );
}
