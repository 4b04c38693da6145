/** Reviews and ratings (docs/reviews.md): request and reply schemas. */
import { z } from "zod";

export const REVIEW_TEXT_MAX = 2000;

export const createReviewRequestSchema = z.strictObject({
  stars: z.number().int().min(1).max(5),
  text: z.string().trim().max(REVIEW_TEXT_MAX).default(""),
});
export type CreateReviewRequest = z.infer<typeof createReviewRequestSchema>;

export const reviewReplyRequestSchema = z.strictObject({ text: z.string().trim().min(1).max(REVIEW_TEXT_MAX) });
export type ReviewReplyRequest = z.infer<typeof reviewReplyRequestSchema>;

export const hideReviewRequestSchema = z.strictObject({ reason: z.string().trim().min(1).max(500) });
export type HideReviewRequest = z.infer<typeof hideReviewRequestSchema>;

export const reviewReplySchema = z.object({ text: z.string(), at: z.iso.datetime() });

/** What anyone sees: the reviewer only as first name + initial ("Alice B."). */
export const publicReviewSchema = z.object({
  id: z.uuid(),
  doctorId: z.uuid(),
  stars: z.number().int().min(1).max(5),
  text: z.string(),
  reviewer: z.string(),
  createdAt: z.iso.datetime(),
  reply: reviewReplySchema.nullable(),
});
export type PublicReview = z.infer<typeof publicReviewSchema>;

/** What the author, the doctor and moderators get back from a write (and moderators from the list). */
export const reviewSchema = publicReviewSchema.extend({
  appointmentId: z.uuid(),
  clinicId: z.uuid(),
  hiddenAt: z.iso.datetime().nullable(),
  hiddenReason: z.string().nullable(),
});
export type Review = z.infer<typeof reviewSchema>;

export const reviewListQuerySchema = z.strictObject({
  /** Opaque: the `nextCursor` of the previous page. */
  cursor: z.uuid().optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  /** Moderators (the doctor's clinic admins, the platform) and the doctor may ask for hidden ones too. */
  includeHidden: z.enum(["true", "false"]).transform((value) => value === "true").optional(),
});
export type ReviewListQuery = z.infer<typeof reviewListQuerySchema>;

export const reviewPageSchema = z.object({
  items: z.array(reviewSchema.partial({ appointmentId: true, clinicId: true, hiddenAt: true, hiddenReason: true })),
  nextCursor: z.string().nullable(),
  ratingAverage: z.number(),
  ratingCount: z.number().int(),
});
export type ReviewPage = z.infer<typeof reviewPageSchema>;
