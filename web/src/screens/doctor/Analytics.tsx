/** The doctor's own figures at a clinic of theirs (components/AnalyticsDashboard.tsx with their id). */
import { AnalyticsDashboard } from "../../components/AnalyticsDashboard";
import type { Session } from "../../lib/session";
import { DoctorFrame } from "./DoctorFrame";

export function DoctorAnalytics({ session }: { session: Session }) {
  return <DoctorFrame session={session} title="My figures">{({ doctorId, clinic }) => <AnalyticsDashboard key={clinic.id} clinic={clinic} doctorId={doctorId} />}</DoctorFrame>;
}
