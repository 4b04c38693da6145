/** The clinic admin's handover: any of the clinic's doctors' appointments in a date range to a colleague (components/Handover.tsx). */
import { Handover } from "../../components/Handover";
import type { Session } from "../../lib/session";
import { AdminFrame } from "./AdminFrame";

export function AdminHandover({ session }: { session: Session }) {
  return (
    <AdminFrame session={session} title="Hand over appointments" intro="When a doctor is away: their appointments go to a colleague here, each previewed before anything moves.">
      {(clinic) => <Handover key={clinic.id} clinic={clinic} />}
    </AdminFrame>
  );
}
