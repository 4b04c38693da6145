/**
 * Reviews (docs/reviews.md): the patient rates completed visits (one review each), and a doctor's
 * public reviews page. `ReviewList` is shared with the doctor's and the admins' Reviews pages.
 */
import { useId, useState, type ReactNode } from "react";
import { appointmentListSchema, reviewPageSchema, reviewSchema, type AppointmentView, type ReviewPage } from "@clinic/shared";
import { FormError, SelectField, TextArea, useSubmit } from "../../components/Field";
import { Async } from "../../components/States";
import { api, ApiError } from "../../lib/api";
import { Link } from "../../lib/router";
import { useLoad } from "../../lib/useLoad";
import { loadDoctor } from "../../lib/directory";

export type ListedReview = ReviewPage["items"][number];

export function Stars({ n }: { n: number }) {
  return <span className="review-stars" role="img" aria-label={`${n} out of 5 stars`}>{"★".repeat(n)}{"☆".repeat(5 - n)}</span>;
}

const day = (iso: string) => new Date(iso).toLocaleDateString(undefined, { dateStyle: "medium" });

/** A doctor's reviews, newest first, "Show more" for the next page; `actions` adds controls to each. */
export function ReviewList({ doctorId, includeHidden = false, actions }: {
  doctorId: string;
  includeHidden?: boolean;
  actions?: (review: ListedReview, reload: () => void) => ReactNode;
}) {
  const [pages, setPages] = useState(1);
  const list = useLoad(["doctor-reviews", doctorId, includeHidden, pages], async (signal) => {
    let page: ReviewPage | null = null;
    const items: ListedReview[] = [];
    for (let i = 0; i < pages && (i === 0 || page?.nextCursor); i++) {
      const cursor: string = page?.nextCursor ? `&cursor=${page.nextCursor}` : "";
      page = await api(`/doctors/${doctorId}/reviews?limit=20${includeHidden ? "&includeHidden=true" : ""}${cursor}`, { schema: reviewPageSchema, signal });
      items.push(...page.items);
    }
    return { ...page!, items };
  });
  return (
    <Async state={list.state} retry={() => void list.reload()}>
      {(data) => (
        <>
          <p className="review-summary">
            {data.ratingCount === 0 ? "No ratings yet." : <><strong>{data.ratingAverage.toFixed(1)}</strong> out of 5 · {data.ratingCount} rating{data.ratingCount === 1 ? "" : "s"}</>}
          </p>
          {data.items.length === 0 ? <p>No reviews yet.</p> : (
            <ul className="review-list" data-testid="reviews">
              {data.items.map((review) => (
                <li key={review.id} className={`review${review.hiddenAt ? " review-hidden" : ""}`} aria-label={`Review by ${review.reviewer}`}>
                  <p><Stars n={review.stars} /> <strong>{review.reviewer}</strong> · {day(review.createdAt)}</p>
                  {review.hiddenAt && <p className="badge">Hidden: {review.hiddenReason}</p>}
                  {review.text && <p className="review-text">{review.text}</p>}
                  {review.reply && <blockquote className="review-reply"><strong>The doctor replied:</strong> {review.reply.text}</blockquote>}
                  {actions?.(review, () => void list.reload())}
                </li>
              ))}
            </ul>
          )}
          {data.nextCursor && <button type="button" onClick={() => setPages((n) => n + 1)}>Show more reviews</button>}
        </>
      )}
    </Async>
  );
}

/** The public reviews of one doctor (linked from the doctor's week page). */
export function DoctorReviewsPage({ doctorId }: { doctorId: string }) {
  const id = useId();
  const doctor = useLoad(["doctor", doctorId], () => loadDoctor(doctorId));
  return (
    <section className="panel" aria-labelledby={`${id}-h`}>
      <p><Link to={`/patient/doctors/${doctorId}`}>← Book with this doctor</Link></p>
      <h1 id={`${id}-h`}>Reviews{doctor.state.data ? ` of ${doctor.state.data.displayName}` : ""}</h1>
      <ReviewList doctorId={doctorId} />
    </section>
  );
}

interface Visit {
  appointment: AppointmentView;
  doctorName: string;
  review: ListedReview | null;
}

async function loadVisits(signal: AbortSignal): Promise<Visit[]> {
  const { items } = await api(`/appointments?scope=mine&when=past`, { schema: appointmentListSchema, signal });
  const completed = items.filter((a) => a.status === "completed").reverse();
  return Promise.all(
    completed.map(async (appointment) => {
      const [doctor, review] = await Promise.all([
        loadDoctor(appointment.doctorId),
        api(`/appointments/${appointment.id}/review`, { schema: reviewSchema, signal }).catch((error: unknown) => {
          if (error instanceof ApiError && error.status === 404) return null;
          throw error;
        }),
      ]);
      return { appointment, doctorName: doctor.displayName, review };
    }),
  );
}

/** "Rate your visits": each completed appointment, rated or with a form to rate it. */
export function Reviews() {
  const id = useId();
  const visits = useLoad(["reviewable-visits"], loadVisits);
  return (
    <section className="panel" aria-labelledby={`${id}-h`}>
      <h1 id={`${id}-h`}>Rate your visits</h1>
      <p className="field-hint">One review per completed visit. Others see your first name and the initial of your last name.</p>
      <Async state={visits.state} retry={() => void visits.reload()} isEmpty={(list) => list.length === 0} empty="No completed visits to rate yet.">
        {(list) => (
          <ul className="appointment-list" data-testid="visits">
            {list.map((visit) => (
              <li key={visit.appointment.id} className="appointment" aria-label={`Visit with ${visit.doctorName} on ${day(visit.appointment.start)}`}>
                <p><strong>{visit.doctorName}</strong> · {day(visit.appointment.start)} · <Link to={`/patient/doctors/${visit.appointment.doctorId}/reviews`}>All reviews</Link></p>
                {visit.review ? (
                  <p>You rated this visit <Stars n={visit.review.stars} />{visit.review.text ? `: “${visit.review.text}”` : ""}</p>
                ) : (
                  <RateForm appointmentId={visit.appointment.id} onDone={() => void visits.reload()} />
                )}
              </li>
            ))}
          </ul>
        )}
      </Async>
    </section>
  );
}

function RateForm({ appointmentId, onDone }: { appointmentId: string; onDone: () => void }) {
  const [stars, setStars] = useState("");
  const [text, setText] = useState("");
  const submit = useSubmit(async () => {
    await api(`/appointments/${appointmentId}/review`, { method: "POST", body: { stars: Number(stars), text }, schema: reviewSchema });
    onDone();
  });
  return (
    <form onSubmit={submit.onSubmit()} className="review-form">
      <SelectField label="Your rating" value={stars} onChange={(e) => setStars(e.target.value)} error={submit.fieldErrors.stars} required>
        <option value="">Choose…</option>
        {[5, 4, 3, 2, 1].map((n) => <option key={n} value={n}>{n} star{n === 1 ? "" : "s"}</option>)}
      </SelectField>
      <TextArea label="Your review (optional)" value={text} maxLength={2000} onChange={(e) => setText(e.target.value)} error={submit.fieldErrors.text} />
      <FormError message={submit.formError} />
      <button type="submit" disabled={submit.busy || stars === ""}>Submit review</button>
    </form>
  );
}
