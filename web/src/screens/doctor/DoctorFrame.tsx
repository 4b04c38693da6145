/** The frame of the doctor's own screens: the doctor profile, their clinics and the clinic picker. */
import { useId, useState, type ReactNode } from "react";
import type { ClinicSummary } from "@clinic/shared";
import { ClinicPicker } from "../../components/ClinicPicker";
import { Async } from "../../components/States";
import type { Session } from "../../lib/session";
import { useDoctorClinics } from "./useDoctorDay";

export interface DoctorContext {
  doctorId: string;
  clinic: ClinicSummary;
  clinics: ClinicSummary[];
}

export function DoctorFrame({ session, title, children }: { session: Session; title: string; children: (context: DoctorContext) => ReactNode }) {
  const doctorId = session.user.doctorId;
  if (!doctorId) return <section className="panel"><h1>{title}</h1><p>This account has no doctor profile.</p></section>;
  return <Frame doctorId={doctorId} title={title}>{children}</Frame>;
}

function Frame({ doctorId, title, children }: { doctorId: string; title: string; children: (context: DoctorContext) => ReactNode }) {
  const id = useId();
  const clinics = useDoctorClinics(doctorId);
  const [chosen, setChosen] = useState<string | null>(null);
  return (
    <>
      <section className="panel doctor-frame" aria-labelledby={`${id}-heading`}>
        <h1 id={`${id}-heading`}>{title}</h1>
        <Async state={clinics.state} retry={() => void clinics.reload()} isEmpty={(list) => list.length === 0} empty="You do not work at any clinic yet.">
          {(list) => {
            const clinic = list.find((c) => c.id === chosen) ?? list[0]!;
            return (
              <>
                <ClinicPicker clinics={list} value={clinic.id} onChange={setChosen} />
                <p className="doctor-muted">{clinic.name} · times in {clinic.timeZone}</p>
              </>
            );
          }}
        </Async>
      </section>
      {clinics.state.data?.length ? children({ doctorId, clinic: clinics.state.data.find((c) => c.id === chosen) ?? clinics.state.data[0]!, clinics: clinics.state.data }) : null}
    </>
  );
}
