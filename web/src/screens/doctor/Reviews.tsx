/** The doctor's Reviews page (docs/reviews.md): every review of them, hidden ones marked; reply once, then edit. */
import { useId, useState } from "react";
import { reviewSchema } from "@clinic/shared";
import { FormError, TextArea, useSubmit } from "../../components/Field";
import type { Session } from "../../lib/session";
import { api } from "../../lib/api";
import { ReviewList, type ListedReview } from "../patient/Reviews";

export function DoctorReviews({ session }: { session: Session }) {
  const id = useId();
  const doctorId = session.user.doctorId;
  return (
    <section className="panel" aria-labelledby={`${id}-h`}>
      <h1 id={`${id}-h`}>Reviews</h1>
      {doctorId ? (
        <ReviewList doctorId={doctorId} includeHidden actions={(review, reload) => <Reply review={review} onDone={reload} />} />
      ) : (
        <p>This account has no doctor profile.</p>
      )}
    </section>
  );
}

function Reply({ review, onDone }: { review: ListedReview; onDone: () => void }) {
  const [open, setOpen] = useState(false);
  const [text, setText] = useState(review.reply?.text ?? "");
  const submit = useSubmit(async () => {
    await api(`/reviews/${review.id}/reply`, { method: review.reply ? "PUT" : "POST", body: { text }, schema: reviewSchema });
    setOpen(false);
    onDone();
  });
  if (!open) return <button type="button" onClick={() => setOpen(true)}>{review.reply ? "Edit reply" : "Reply"}</button>;
  return (
    <form onSubmit={submit.onSubmit()} className="review-form">
      <TextArea label={`Your reply to ${review.reviewer}`} value={text} maxLength={2000} onChange={(e) => setText(e.target.value)} error={submit.fieldErrors.text} required />
      <FormError message={submit.formError} />
      <button type="submit" disabled={submit.busy}>{review.reply ? "Save reply" : "Post reply"}</button>{" "}
      <button type="button" onClick={() => setOpen(false)}>Cancel</button>
    </form>
  );
}
