/**
 * Live ETAs and queue metrics (docs/queue-eta.md): the `eta.updated` event on `doctor:`, `clinic:`
 * and (anonymised) `display:` topics, the `eta.changed` event on a patient's `me`, and
 * `GET /clinics/:clinicId/queue/metrics`.
 */
import { z } from "zod";

const isoInstant = z.iso.datetime();

export const doctorEtaStates = ["consulting", "overrunning", "on_break", "idle"] as const;
export type DoctorEtaState = (typeof doctorEtaStates)[number];

/** One clinic's or one doctor's queue figures for today (the clinic's local day). */
export const queueMetricsSchema = z.object({
  /** Patients with status `waiting`. */
  waiting: z.number().int(),
  /** Patients seen today (status `done`). */
  served: z.number().int(),
  /** The longest current wait: whole minutes since the earliest arrival still waiting (0 when nobody waits). */
  currentWaitMinutes: z.number().int(),
  /** Mean arrived → called of everyone called today, minutes to one decimal; null before the first call. */
  averageWaitMinutes: z.number().nullable(),
});
export type QueueMetrics = z.infer<typeof queueMetricsSchema>;

export const doctorQueueMetricsSchema = queueMetricsSchema.extend({
  /** Null: walk-ins not assigned to a doctor yet. */
  doctorId: z.uuid().nullable(),
  doctorName: z.string().nullable(),
});
export type DoctorQueueMetrics = z.infer<typeof doctorQueueMetricsSchema>;

export const queueMetricsQuerySchema = z.strictObject({ doctorId: z.uuid().optional() });

export const queueMetricsReplySchema = z.object({
  clinicId: z.uuid(),
  /** Today in the clinic's time zone. */
  date: z.string(),
  at: isoInstant,
  /** The whole clinic. */
  clinic: queueMetricsSchema,
  /** One row per doctor with patients today (a doctor caller gets only their own row). */
  doctors: z.array(doctorQueueMetricsSchema),
});
export type QueueMetricsReply = z.infer<typeof queueMetricsReplySchema>;

/** One ETA: a queue entry (checked in / walk-in) or a later appointment not yet arrived. */
export const etaItemSchema = z.union([
  z.object({ entryId: z.uuid(), ticket: z.string(), expectedAt: isoInstant }),
  z.object({ appointmentId: z.uuid(), expectedAt: isoInstant }),
]);

/** `eta.updated` on `doctor:{doctorId}` and `clinic:{clinicId}`, after every recomputation. */
export const etaUpdatedSchema = z.object({
  clinicId: z.uuid(),
  doctorId: z.uuid(),
  /** Positive: the doctor runs late by this many minutes; negative: early. */
  lateByMinutes: z.number().int(),
  state: z.enum(doctorEtaStates),
  /** In expected order. */
  entries: z.array(etaItemSchema),
  /** This doctor's figures (clinic totals: GET …/queue/metrics). */
  metrics: queueMetricsSchema,
});
export type EtaUpdated = z.infer<typeof etaUpdatedSchema>;

/** `eta.updated` on `display:{clinicId}`: tickets and times only, never names. */
export const displayEtaUpdatedSchema = z.object({
  doctorId: z.uuid(),
  lateByMinutes: z.number().int(),
  entries: z.array(z.object({ ticket: z.string(), expectedAt: isoInstant })),
});
export type DisplayEtaUpdated = z.infer<typeof displayEtaUpdatedSchema>;

/**
 * `eta.moved` on the patient's `me`: their stored estimate changed (every change, silently; the
 * appointment's `expectedStartAt` and the entry's `expectedAt` now read the same).
 */
export const etaMovedSchema = z.object({
  appointmentId: z.uuid().nullable(),
  entryId: z.uuid().nullable(),
  expectedAt: isoInstant,
});
export type EtaMoved = z.infer<typeof etaMovedSchema>;

/** `eta.changed` on the patient's `me`, with each slip or gain notice. */
export const etaChangedSchema = z.object({
  appointmentId: z.uuid().nullable(),
  entryId: z.uuid().nullable(),
  doctorId: z.uuid(),
  clinicId: z.uuid(),
  expectedAt: isoInstant,
  previousExpectedAt: isoInstant,
  direction: z.enum(["later", "earlier"]),
});
export type EtaChanged = z.infer<typeof etaChangedSchema>;
