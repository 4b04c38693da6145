/** The doctor hands their own appointments in a date range to a colleague at the clinic (components/Handover.tsx). */
import { Handover } from "../../components/Handover";
import type { Session } from "../../lib/session";
import { DoctorFrame } from "./DoctorFrame";

export function DoctorHandover({ session }: { session: Session }) {
  return <DoctorFrame session={session} title="Hand over">{({ doctorId, clinic }) => <Handover key={clinic.id} clinic={clinic} fromDoctorId={doctorId} />}</DoctorFrame>;
}
