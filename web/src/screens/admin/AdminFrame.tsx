/**
 * The frame of every clinic-admin page: a heading, a way back to the admin home, the clinic picker,
 * and the "not an admin of any clinic" state. Pages get the chosen clinic (components/Doctors.tsx has
 * its doctors for pages that act on one).
 */
import { useId, type ReactNode } from "react";
import type { ClinicSummary } from "@clinic/shared";
import { ClinicPicker, useStaffClinics } from "../../components/ClinicPicker";
import { ErrorState, Loading } from "../../components/States";
import { Link } from "../../lib/router";
import type { Session } from "../../lib/session";

export function AdminFrame({ session, title, intro, children }: {
  session: Session;
  title: string;
  intro?: ReactNode;
  children: (clinic: ClinicSummary) => ReactNode;
}) {
  const id = useId();
  const staff = useStaffClinics(session, ["clinic_admin"]);
  let body: ReactNode;
  if (!staff.hasAny) body = <p>You are not a clinic admin of any clinic.</p>;
  else if (staff.clinic) body = null;
  else if (staff.state.kind === "error") body = <ErrorState message={staff.state.message} retry={() => void staff.reload()} />;
  else body = <Loading />;
  return (
    <>
      <section className="panel admin-head" aria-labelledby={`${id}-h`}>
        <p className="admin-back"><Link to="/admin">← Clinic admin</Link></p>
        <h1 id={`${id}-h`}>{title}{staff.clinic && <span className="admin-clinic"> · {staff.clinic.name}</span>}</h1>
        {intro && <p className="field-hint">{intro}</p>}
        <ClinicPicker clinics={staff.clinics} value={staff.clinic?.id ?? null} onChange={staff.choose} />
        {body}
      </section>
      {staff.clinic && children(staff.clinic)}
    </>
  );
}

/** "YYYY-MM-DD" of today plus `days`, in the browser's calendar (date inputs are local). */
export function dayFromToday(days: number): string {
  const date = new Date();
  date.setDate(date.getDate() + days);
  return `${date.getFullYear()}-${String(date.getMonth() + 1).padStart(2, "0")}-${String(date.getDate()).padStart(2, "0")}`;
}
