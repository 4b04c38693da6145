/**
 * Handing a doctor's appointments to a colleague (docs/handover.md): the preview and the apply of
 * POST /clinics/:clinicId/handovers{/preview}. Dates are the clinic's local days, both inclusive.
 */
import { z } from "zod";
import { localDateSchema } from "./calendar";
import { appointmentStatuses } from "./booking";

/** The longest range one handover covers (a fortnight's leave twice over). */
export const HANDOVER_MAX_DAYS = 31;

const handoverRange = {
  fromDoctorId: z.uuid(),
  toDoctorId: z.uuid(),
  fromDate: localDateSchema,
  toDate: localDateSchema,
};

function checkRange(value: { fromDoctorId: string; toDoctorId: string; fromDate: string; toDate: string }, ctx: z.RefinementCtx) {
  if (value.toDoctorId === value.fromDoctorId) {
    ctx.addIssue({ code: "custom", path: ["toDoctorId"], message: "hand over to another doctor" });
  }
  if (value.toDate < value.fromDate) {
    ctx.addIssue({ code: "custom", path: ["toDate"], message: "the range ends before it starts" });
  } else if ((Date.parse(value.toDate) - Date.parse(value.fromDate)) / 86_400_000 >= HANDOVER_MAX_DAYS) {
    ctx.addIssue({ code: "custom", path: ["toDate"], message: `a handover covers at most ${HANDOVER_MAX_DAYS} days` });
  }
}

export const handoverPreviewRequestSchema = z.strictObject(handoverRange).superRefine(checkRange);
export type HandoverPreviewRequest = z.infer<typeof handoverPreviewRequestSchema>;

export const handoverRequestSchema = z
  .strictObject({ ...handoverRange, reason: z.string().trim().min(3).max(500) })
  .superRefine(checkRange);
export type HandoverRequest = z.infer<typeof handoverRequestSchema>;

/**
 * What happens to one appointment: `free` (a free slot of the receiving doctor starts then),
 * `overbook` (none does, and the clinic's overbooking policy allows one more that day), `stays` (the
 * receiving doctor is busy and overbooking is not allowed or its cap is reached; it is not moved).
 */
export const handoverOutcomes = ["free", "overbook", "stays"] as const;
export type HandoverOutcome = (typeof handoverOutcomes)[number];

export const handoverItemSchema = z.object({
  appointmentId: z.uuid(),
  start: z.iso.datetime(),
  end: z.iso.datetime(),
  status: z.enum(appointmentStatuses),
  patientName: z.string(),
  serviceName: z.string().nullable(),
  outcome: z.enum(handoverOutcomes),
  /** Why it stays, in words. */
  note: z.string().nullable(),
});
export type HandoverItem = z.infer<typeof handoverItemSchema>;

export const handoverPreviewSchema = z.object({
  fromDoctorId: z.uuid(),
  toDoctorId: z.uuid(),
  items: z.array(handoverItemSchema),
});
export type HandoverPreview = z.infer<typeof handoverPreviewSchema>;

/** The apply's reply: each appointment as it came out (`free`/`overbook`: moved; `stays`: not). */
export const handoverReplySchema = handoverPreviewSchema.extend({ moved: z.number().int(), stayed: z.number().int() });
export type HandoverReply = z.infer<typeof handoverReplySchema>;
