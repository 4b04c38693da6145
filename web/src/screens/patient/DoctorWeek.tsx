/** A doctor's week: the profile line, the live week of slots, and booking a free slot (a hold). */
import { useId, useState } from "react";
import { TRANSACTION_FEE_RATE, clinicSchema, createAppointmentReplySchema, formatPhone, loyaltyAccountSchema, type CreateAppointmentReply, type DoctorView } from "@clinic/shared";
import { Checkbox } from "../../components/Checkbox";
import { Async } from "../../components/States";
import { api, idempotencyKey } from "../../lib/api";
import { Link, navigate, useSearchParams } from "../../lib/router";
import { useLoad } from "../../lib/useLoad";
import { formatMoney } from "../../lib/format";
import { loadClinics, loadDoctor } from "../../lib/directory";
import { Notice } from "./common";
import { SlotWeek } from "./SlotWeek";

/** The hold just placed, handed to the booking screen (it has `next`, the fee and any warning). */
export const recentHold: { reply: CreateAppointmentReply | null } = { reply: null };

export function doctorLine(doctor: DoctorView): string {
  return [doctor.specialties.map((s) => s.name).join(", "), doctor.languages.length ? `Speaks ${doctor.languages.join(", ")}` : ""]
    .filter(Boolean)
    .join(" · ");
}

/** The doctor and, for the week grid, the zone of its first clinic plus its clinics' names. */
export function useDoctorWithClinics(doctorId: string) {
  return useLoad(["doctor-with-clinics", doctorId], async () => {
    const [doctor, clinics] = await Promise.all([loadDoctor(doctorId), loadClinics()]);
    const first = clinics.find((clinic) => clinic.id === doctor.clinics[0]?.id);
    return { doctor, timeZone: first?.timeZone ?? "UTC", clinicNames: new Map(doctor.clinics.map((c) => [c.id, c.name])) };
  });
}

/**
 * What a booking costs and until when it can be cancelled, shown before the patient holds a slot:
 * the doctor's fee with the card fee (a service's own price is shown on the booking screen), free
 * for Vise members with their own doctor; the clinic's cancellation cutoff (its first clinic's).
 */
function PriceAndPolicy({ doctor }: { doctor: DoctorView }) {
  const clinicId = doctor.clinics[0]?.id;
  const clinic = useLoad(["clinic", clinicId], (signal) => (clinicId ? api(`/clinics/${clinicId}`, { schema: clinicSchema, signal }) : Promise.resolve(null)));
  const cutoff = clinic.state.data?.settings.patientCancelCutoffHours;
  const fee = doctor.consultationFeeMinor;
  return (
    <section className="panel price-policy" aria-label="Price and cancellation" data-testid="price-policy">
      <p>
        <strong>Price:</strong>{" "}
        {fee > 0
          ? `${formatMoney(fee, doctor.currency)} a consultation, plus a ${Math.round(TRANSACTION_FEE_RATE * 100)} % card fee, paid online when you book (free for Vise members with ${doctor.displayName} as their doctor).`
          : "no charge online."}
      </p>
      {cutoff !== undefined && (
        <p>
          <strong>Cancelling:</strong> {cutoff > 0 ? `free of charge until ${cutoff} hours before the appointment; after that, call the clinic.` : "free of charge until the appointment starts."}
          {clinic.state.data?.phone ? ` Clinic: ${formatPhone(clinic.state.data.phone)}.` : ""}
        </p>
      )}
    </section>
  );
}

export function DoctorWeek({ doctorId }: { doctorId: string }) {
  const id = useId();
  const search = useSearchParams();
  const loaded = useDoctorWithClinics(doctorId);
  // Loyalty points can pay for a booking (docs/loyalty.md); the server says if there are too few here.
  const points = useLoad(["my-points"], async (signal) => (await api("/me/loyalty?limit=1", { schema: loyaltyAccountSchema, signal })).balance);
  const [redeemPoints, setRedeemPoints] = useState(false);

  async function book(slotId: string) {
    // One key per attempt: api()'s retry after a token refresh replays it, so a hold is never placed twice.
    const body = redeemPoints ? { slotId, redeemPoints: true } : { slotId };
    const reply = await api("/appointments", { method: "POST", body, headers: { "idempotency-key": idempotencyKey() }, schema: createAppointmentReplySchema });
    recentHold.reply = reply;
    navigate(`/patient/book/${reply.id}`);
  }

  return (
    <Async state={loaded.state} retry={() => void loaded.reload()}>
      {({ doctor, timeZone, clinicNames }) => (
        <>
          <section className="panel" aria-labelledby={`${id}-doctor`}>
            <p><Link to="/patient/doctors">← Find a doctor</Link></p>
            <h1 id={`${id}-doctor`}>{doctor.displayName}</h1>
            <p>{doctorLine(doctor)}</p>
            <p>{doctor.clinics.map((clinic) => clinic.name).join(" · ")}</p>
            <p><Link to={`/patient/doctors/${doctor.id}/reviews`}>Reviews of {doctor.displayName}</Link></p>
            <p>
              No time that suits you?{" "}
              <Link to={`/patient/waitlist?doctorId=${doctor.id}`}>Join the waitlist for {doctor.displayName}</Link>
            </p>
          </section>
          <PriceAndPolicy doctor={doctor} />
          <Notice />
          {(points.state.data ?? 0) > 0 && (
            <section className="panel" aria-label="Loyalty points">
              <Checkbox label={`Use my loyalty points for a free booking (I have ${points.state.data} points)`} checked={redeemPoints}
                onChange={setRedeemPoints} hint="The clinic sets how many points a free booking takes; they come back if you cancel in time." />
            </section>
          )}
          <SlotWeek doctorId={doctor.id} from={search.get("from") ?? ""} timeZone={timeZone} clinicNames={clinicNames}
            onWeek={(from) => navigate(`/patient/doctors/${doctor.id}?from=${from}`, { replace: true })}
            onPick={(slot) => book(slot.slotId)} pickLabel="book" />
        </>
      )}
    </Async>
  );
}
