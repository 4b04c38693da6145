/** The waitlist's HTTP contract (docs/waitlist.md): joining, listing, leaving, answering offers. */
import { z } from "zod";
import { instantSchema, localDateSchema } from "./calendar";
import { bookingNextSteps } from "./booking";

const localTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "HH:MM (00:00–23:59)");

export const waitlistEntryStatuses = ["waiting", "offered", "booked", "left"] as const;
export type WaitlistEntryStatus = (typeof waitlistEntryStatuses)[number];
export const waitlistOfferStatuses = ["offered", "accepted", "declined", "expired"] as const;
export type WaitlistOfferStatus = (typeof waitlistOfferStatuses)[number];

/** A daily window in the clinic's zone: only slots that start and end inside it are offered. */
export const waitlistWindowSchema = z
  .strictObject({ start: localTime, end: localTime })
  .refine((window) => window.start < window.end, { path: ["end"], message: "the window must end after it starts" });

export const joinWaitlistRequestSchema = z
  .strictObject({
    doctorId: z.uuid(),
    /** Needed only when the doctor works at more than one clinic; the dates and window are in its zone. */
    clinicId: z.uuid().optional(),
    /** Only slots of this service (or slots with no service) are offered; none: any slot. */
    serviceId: z.uuid().optional(),
    /** Local dates in the clinic's zone, both included. */
    from: localDateSchema,
    to: localDateSchema,
    window: waitlistWindowSchema.optional(),
    /** Staff only; higher is offered first, ties by joining time. */
    priority: z.number().int().min(-100).max(100).optional(),
    /** Staff name the patient; patients join for themselves. */
    patientId: z.uuid().optional(),
  })
  .refine((entry) => entry.to >= entry.from, { path: ["to"], message: "to must not be before from" });
export type JoinWaitlistRequest = z.infer<typeof joinWaitlistRequestSchema>;

export const waitlistOfferViewSchema = z.object({
  id: z.uuid(),
  entryId: z.uuid(),
  slotId: z.uuid(),
  appointmentId: z.uuid(),
  status: z.enum(waitlistOfferStatuses),
  start: instantSchema,
  end: instantSchema,
  /** The slot is held for the patient until then. */
  expiresAt: instantSchema,
  createdAt: instantSchema,
});
export type WaitlistOfferView = z.infer<typeof waitlistOfferViewSchema>;

export const waitlistEntryViewSchema = z.object({
  id: z.uuid(),
  patientId: z.uuid(),
  doctorId: z.uuid(),
  clinicId: z.uuid(),
  serviceId: z.uuid().nullable(),
  from: localDateSchema,
  to: localDateSchema,
  window: z.object({ start: localTime, end: localTime }).nullable(),
  priority: z.number().int(),
  status: z.enum(waitlistEntryStatuses),
  /** The live offer, when the entry has one. */
  offer: waitlistOfferViewSchema.nullable(),
  createdAt: instantSchema,
});
export type WaitlistEntryView = z.infer<typeof waitlistEntryViewSchema>;

export const waitlistListQuerySchema = z
  .strictObject({
    /** `mine`: the patient's own entries. Staff list by clinic or doctor instead. */
    scope: z.literal("mine").optional(),
    clinicId: z.uuid().optional(),
    doctorId: z.uuid().optional(),
    status: z.enum(waitlistEntryStatuses).optional(),
  })
  .refine((q) => q.scope !== undefined || q.clinicId !== undefined || q.doctorId !== undefined, {
    path: ["scope"],
    message: "give scope=mine, clinicId or doctorId",
  });
export type WaitlistListQuery = z.infer<typeof waitlistListQuerySchema>;

export const waitlistListSchema = z.object({ items: z.array(waitlistEntryViewSchema) });

export const acceptWaitlistOfferReplySchema = z.object({
  offer: waitlistOfferViewSchema,
  appointmentId: z.uuid(),
  appointmentStatus: z.string(),
  /** `pay`: a paid booking is confirmed by paying, within the hold. */
  next: z.enum(bookingNextSteps).nullable(),
});
export type AcceptWaitlistOfferReply = z.infer<typeof acceptWaitlistOfferReplySchema>;
