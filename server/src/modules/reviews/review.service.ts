/**
 * Reviews and ratings (docs/reviews.md). Every write locks the doctor row first, then recomputes
 * `rating_average` / `rating_count` from the visible reviews in the same transaction, so concurrent
 * reviews serialize on the doctor and the stored rating never drifts from the reviews.
 */
import { UniqueConstraintViolationException } from "@mikro-orm/core";
import type { EntityManager } from "@mikro-orm/postgresql";
import type { CreateReviewRequest, Review, ReviewListQuery, ReviewPage } from "@clinic/shared";
import type { ModuleContext } from "../../platform/module";
import { conflict, forbidden, notFound } from "../../platform/errors";
import { recordAudit, type AuditActor } from "../../platform/audit";
import { authorize, can, type UserPrincipal } from "../identity";

interface ReviewRow {
  id: string;
  appointment_id: string;
  doctor_id: string;
  clinic_id: string;
  stars: number;
  text: string;
  reply_text: string | null;
  replied_at: string | null;
  hidden_at: string | null;
  hidden_reason: string | null;
  created_at: string;
  full_name: string;
}

/** Raw rows carry timestamps as text: render them as ISO instants (ms) in SQL. */
const iso = (column: string) => `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as ${column.slice(2)}`;

const selectReview = `select r.id, r.appointment_id, r.doctor_id, r.clinic_id, r.stars, r.text, r.reply_text, ${iso("r.replied_at")},
  ${iso("r.hidden_at")}, r.hidden_reason, ${iso("r.created_at")}, p.full_name from review r join patient p on p.id = r.patient_id`;

/** "Alice Mary Brown" → "Alice B.": enough to feel personal, not enough to identify. */
export function reviewerName(fullName: string): string {
  const words = fullName.trim().split(/\s+/).filter(Boolean);
  if (words.length === 0) return "Patient";
  const last = words.length > 1 ? ` ${[...words.at(-1)!][0]!.toUpperCase()}.` : "";
  return `${words[0]}${last}`;
}

function publicView(row: ReviewRow) {
  return {
    id: row.id,
    doctorId: row.doctor_id,
    stars: Number(row.stars),
    text: row.text,
    reviewer: reviewerName(row.full_name),
    createdAt: row.created_at,
    reply: row.reply_text !== null && row.replied_at ? { text: row.reply_text, at: row.replied_at } : null,
  };
}

function fullView(row: ReviewRow): Review {
  return {
    ...publicView(row),
    appointmentId: row.appointment_id,
    clinicId: row.clinic_id,
    hiddenAt: row.hidden_at,
    hiddenReason: row.hidden_reason,
  };
}

/** Serializes every rating change of one doctor: later statements of the transaction see earlier commits. */
async function lockDoctor(tx: EntityManager, doctorId: string): Promise<void> {
  await tx.execute(`select id from doctor where id = ? for update`, [doctorId]);
}

/** The stored rating, recomputed from the visible reviews (sum / count, the exact mean as a double). */
async function recomputeRating(tx: EntityManager, doctorId: string): Promise<{ ratingAverage: number; ratingCount: number }> {
  const [row] = await tx.execute<{ rating_average: number; rating_count: number }[]>(
    `update doctor d set rating_average = s.average, rating_count = s.count, updated_at = now()
       from (select coalesce(sum(stars)::float8 / nullif(count(*), 0), 0) as average, count(*)::int as count
               from review where doctor_id = ? and hidden_at is null) s
      where d.id = ? returning d.rating_average, d.rating_count`,
    [doctorId, doctorId],
  );
  return { ratingAverage: Number(row!.rating_average), ratingCount: Number(row!.rating_count) };
}

export class ReviewService {
  constructor(private readonly ctx: ModuleContext) {}

  private em(): EntityManager {
    return this.ctx.orm.em.fork() as unknown as EntityManager;
  }

  private async read(em: EntityManager, reviewId: string): Promise<ReviewRow> {
    const [row] = await em.execute<ReviewRow[]>(`${selectReview} where r.id = ?`, [reviewId]);
    if (!row) throw notFound("Review");
    return row;
  }

  /** POST /appointments/:appointmentId/review: the patient's own completed appointment, once. */
  async create(principal: UserPrincipal, actor: AuditActor, appointmentId: string, input: CreateReviewRequest): Promise<Review> {
    const em = this.em();
    const [appointment] = await em.execute<{ id: string; status: string; doctor_id: string; clinic_id: string; patient_id: string; user_id: string }[]>(
      `select a.id, a.status, a.doctor_id, a.clinic_id, a.patient_id, p.user_id from appointment a join patient p on p.id = a.patient_id where a.id = ?`,
      [appointmentId],
    );
    if (!appointment) throw notFound("Appointment");
    // Someone else's appointment: a 404, so a guess does not confirm it exists.
    authorize(principal, "review.write", { userId: appointment.user_id }, { hide: "Appointment" });
    if (appointment.status !== "completed") {
      throw conflict("APPOINTMENT_NOT_COMPLETED", `Only a completed appointment can be reviewed (this one is ${appointment.status})`, {
        field: "appointmentId",
        appointmentStatus: appointment.status,
      });
    }
    try {
      const id = await em.transactional(async (tx) => {
        await lockDoctor(tx, appointment.doctor_id);
        const [created] = await tx.execute<{ id: string }[]>(
          `insert into review (id, appointment_id, doctor_id, patient_id, clinic_id, stars, text, created_at, updated_at)
           values (gen_random_uuid(), ?, ?, ?, ?, ?, ?, now(), now()) returning id`,
          [appointment.id, appointment.doctor_id, appointment.patient_id, appointment.clinic_id, input.stars, input.text],
        );
        const rating = await recomputeRating(tx, appointment.doctor_id);
        recordAudit(tx, actor, {
          action: "review.create",
          entityType: "review",
          entityId: created!.id,
          clinicId: appointment.clinic_id,
          after: { appointmentId, doctorId: appointment.doctor_id, stars: input.stars, ...rating },
        });
        return created!.id;
      });
      return fullView(await this.read(em, id));
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) {
        throw conflict("REVIEW_EXISTS", { field: "appointmentId" });
      }
      throw error;
    }
  }

  /** GET /appointments/:appointmentId/review: the patient's own review of it (or 404), for "rate this visit". */
  async ofAppointment(principal: UserPrincipal, appointmentId: string): Promise<Review> {
    const em = this.em();
    const [row] = await em.execute<(ReviewRow & { user_id: string })[]>(
      `${selectReview} where r.appointment_id = ?`.replace("p.full_name from", "p.full_name, p.user_id from"),
      [appointmentId],
    );
    if (!row || !can(principal, "review.write", { userId: row.user_id })) throw notFound("Review");
    return fullView(row);
  }

  /** POST (first time) or PUT (edit) /reviews/:reviewId/reply: the reviewed doctor only; one reply, editable. */
  async reply(principal: UserPrincipal, actor: AuditActor, reviewId: string, text: string, mode: "create" | "edit"): Promise<Review> {
    const em = this.em();
    const review = await this.read(em, reviewId);
    authorize(principal, "review.reply", { doctorId: review.doctor_id });
    await em.transactional(async (tx) => {
      // The conditional update makes "once" hold under a double submit.
      const rows = await tx.execute<{ id: string }[]>(
        `update review set reply_text = ?, replied_at = now(), updated_at = now()
          where id = ? and reply_text is ${mode === "create" ? "null" : "not null"} returning id`,
        [text, reviewId],
      );
      if (rows.length === 0) {
        throw mode === "create"
          ? conflict("REPLY_EXISTS", { field: "reviewId" })
          : conflict("NO_REPLY", { field: "reviewId" });
      }
      recordAudit(tx, actor, {
        action: mode === "create" ? "review.reply" : "review.reply.edit",
        entityType: "review",
        entityId: reviewId,
        clinicId: review.clinic_id,
        before: mode === "edit" ? { text: review.reply_text } : null,
        after: { text },
      });
    });
    return fullView(await this.read(em, reviewId));
  }

  /** POST /reviews/:reviewId/hide {reason} and /unhide: moderators; the rating is recomputed with it. */
  async setHidden(principal: UserPrincipal, actor: AuditActor, reviewId: string, reason: string | null): Promise<Review> {
    const em = this.em();
    const review = await this.read(em, reviewId);
    authorize(principal, "review.moderate", { clinicId: review.clinic_id });
    await em.transactional(async (tx) => {
      await lockDoctor(tx, review.doctor_id);
      const rows = await tx.execute<{ id: string }[]>(
        reason === null
          ? `update review set hidden_at = null, hidden_reason = null, hidden_by_id = null, updated_at = now() where id = ? and hidden_at is not null returning id`
          : `update review set hidden_at = now(), hidden_reason = ?, hidden_by_id = ?, updated_at = now() where id = ? and hidden_at is null returning id`,
        reason === null ? [reviewId] : [reason, principal.userId, reviewId],
      );
      if (rows.length === 0) {
        throw conflict(reason === null ? "REVIEW_NOT_HIDDEN" : "REVIEW_HIDDEN", { field: "reviewId" });
      }
      const rating = await recomputeRating(tx, review.doctor_id);
      recordAudit(tx, actor, {
        action: reason === null ? "review.unhide" : "review.hide",
        entityType: "review",
        entityId: reviewId,
        clinicId: review.clinic_id,
        before: { hiddenAt: review.hidden_at, hiddenReason: review.hidden_reason },
        after: { hiddenReason: reason, doctorId: review.doctor_id, ...rating },
      });
    });
    return fullView(await this.read(em, reviewId));
  }

  /**
   * GET /doctors/:doctorId/reviews: visible reviews newest first (public). With includeHidden, the
   * doctor and moderators also get hidden ones and the moderation fields.
   */
  async list(principal: UserPrincipal | null, doctorId: string, query: ReviewListQuery): Promise<ReviewPage> {
    const em = this.em();
    const [doctor] = await em.execute<{ rating_average: number; rating_count: number; clinic_ids: string[] }[]>(
      `select d.rating_average, d.rating_count, array(select dc.clinic_id from doctor_clinic dc where dc.doctor_id = d.id)::text[] as clinic_ids
         from doctor d join user_account u on u.id = d.user_id where d.id = ? and d.approval_status = 'approved' and u.status = 'active'`,
      [doctorId],
    );
    if (!doctor) throw notFound("Doctor");
    const moderator =
      principal !== null &&
      (can(principal, "review.reply", { doctorId }) || doctor.clinic_ids.some((clinicId) => can(principal, "review.moderate", { clinicId })));
    if (query.includeHidden && !moderator) throw forbidden("Not allowed: hidden reviews", { field: "query.includeHidden" });
    const where = [`r.doctor_id = ?`];
    const params: unknown[] = [doctorId];
    if (!query.includeHidden) where.push(`r.hidden_at is null`);
    if (query.cursor) {
      where.push(`(r.created_at, r.id) < (select c.created_at, c.id from review c where c.id = ? and c.doctor_id = r.doctor_id)`);
      params.push(query.cursor);
    }
    params.push(query.limit + 1);
    const rows = await em.execute<ReviewRow[]>(`${selectReview} where ${where.join(" and ")} order by r.created_at desc, r.id desc limit ?`, params);
    const page = rows.slice(0, query.limit);
    return {
      items: page.map((row) => (query.includeHidden ? fullView(row) : publicView(row))),
      nextCursor: rows.length > query.limit ? page.at(-1)!.id : null,
      ratingAverage: Number(doctor.rating_average),
      ratingCount: Number(doctor.rating_count),
    };
  }
}
