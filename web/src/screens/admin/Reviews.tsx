/** Clinic admin: a doctor's reviews with hide (with a reason) and unhide; both are audited (docs/reviews.md). */
import { useState } from "react";
import { reviewSchema } from "@clinic/shared";
import { DoctorSelect, useClinicDoctors } from "../../components/Doctors";
import { FormError, TextField, useSubmit } from "../../components/Field";
import { api } from "../../lib/api";
import type { Session } from "../../lib/session";
import { ReviewList, type ListedReview } from "../patient/Reviews";
import { AdminFrame } from "./AdminFrame";

export function AdminReviews({ session }: { session: Session }) {
  return (
    <AdminFrame session={session} title="Reviews" intro="Hidden reviews leave the public list and the doctor's rating; they can be shown again.">
      {(clinic) => <ClinicReviews key={clinic.id} clinicId={clinic.id} />}
    </AdminFrame>
  );
}

function ClinicReviews({ clinicId }: { clinicId: string }) {
  const doctors = useClinicDoctors(clinicId);
  const [doctorId, setDoctorId] = useState("");
  return (
    <section className="panel" aria-label="Reviews of one doctor">
      <DoctorSelect doctors={doctors.state.data} value={doctorId} onChange={setDoctorId} />
      {doctorId && <ReviewList key={doctorId} doctorId={doctorId} includeHidden actions={(review, reload) => <Moderate review={review} onDone={reload} />} />}
    </section>
  );
}

function Moderate({ review, onDone }: { review: ListedReview; onDone: () => void }) {
  const [reason, setReason] = useState("");
  const [open, setOpen] = useState(false);
  const submit = useSubmit(async () => {
    const hide = !review.hiddenAt;
    await api(`/reviews/${review.id}/${hide ? "hide" : "unhide"}`, { method: "POST", ...(hide ? { body: { reason } } : {}), schema: reviewSchema });
    setOpen(false);
    onDone();
  });
  if (review.hiddenAt) {
    return <><button type="button" onClick={() => void submit.run()} disabled={submit.busy}>Show again</button><FormError message={submit.formError} /></>;
  }
  if (!open) return <button type="button" onClick={() => setOpen(true)}>Hide…</button>;
  return (
    <form onSubmit={submit.onSubmit()} className="review-form">
      <TextField label="Reason for hiding" value={reason} maxLength={500} onChange={(e) => setReason(e.target.value)} error={submit.fieldErrors.reason} required />
      <FormError message={submit.formError} />
      <button type="submit" disabled={submit.busy}>Hide review</button>{" "}
      <button type="button" onClick={() => setOpen(false)}>Cancel</button>
    </form>
  );
}
