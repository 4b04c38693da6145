import { z } from "zod";
import { appointmentStatuses } from "./booking";
import { queueEntryViewSchema } from "./queue-api";
import { waitlistEntryViewSchema } from "./waitlist-api";

/**
 * The booking topics' payloads (docs/realtime.md): the `data` of `slot.*`, `elastic.*` and
 * `appointment.*` events and the snapshots of `slots:{doctorId}`, `doctor:{doctorId}`,
 * `clinic:{clinicId}` and `me`. The server's types are inferred from these (booking.realtime.ts),
 * and tests/realtime/booking-event-shapes.test.ts parses real published events through them.
 * Snapshot rows are the event data without `cause`.
 */
const isoInstant = z.iso.datetime();

/** A slot's state after a committed change (`slot.{cause}`). `status` is "deleted" for a removed row. */
export const slotLiveSchema = z.object({
  slotId: z.uuid(),
  doctorId: z.uuid(),
  clinicId: z.uuid(),
  start: isoInstant,
  end: isoInstant,
  status: z.string(),
  kind: z.string(),
  version: z.number().int(),
  holdExpiresAt: isoInstant.nullable(),
  /** Set when the change altered the kind: a slot leaving the public kinds is sent to `slots:` once more. */
  previousKind: z.string().optional(),
});
export type SlotLive = z.infer<typeof slotLiveSchema>;
/** held | booked | released | blocked | rescheduled | expired | created | removed | deleted … */
export const slotChangeSchema = slotLiveSchema.extend({ cause: z.string() });

/**
 * A rule edit changed only the staff annotations (`note`, `tags`) of the free slots it keeps
 * (`slots.annotated`, staff topics only): one summary instead of an event per slot. Their public
 * view, and so their `version`, is unchanged; a staff screen re-reads its slots between `from` and `to`.
 */
export const slotsAnnotatedSchema = z.object({
  ruleId: z.uuid(),
  doctorId: z.uuid(),
  clinicId: z.uuid(),
  /** The earliest start and the latest end among the annotated slots. */
  from: isoInstant,
  to: isoInstant,
  count: z.number().int(),
  tags: z.array(z.string()),
  note: z.string().nullable(),
});
export type SlotsAnnotated = z.infer<typeof slotsAnnotatedSchema>;

/** An elastic block's fill after a committed change (`elastic.{cause}`). */
export const blockLiveSchema = z.object({
  blockId: z.uuid(),
  doctorId: z.uuid(),
  clinicId: z.uuid(),
  start: isoInstant,
  end: isoInstant,
  capacityMinutes: z.number().int(),
  /** Minutes taken by live allocations (a lapsed booking hold counts as free). */
  usedMinutes: z.number().int(),
  version: z.number().int(),
});
export type BlockLive = z.infer<typeof blockLiveSchema>;
export const blockChangeSchema = blockLiveSchema.extend({ cause: z.string() });

/** An appointment's state after a committed change (`appointment.{cause}`), on `me`, `doctor:` and `clinic:`. */
export const appointmentLiveSchema = z.object({
  appointmentId: z.uuid(),
  patientId: z.uuid(),
  patientUserId: z.uuid(),
  doctorId: z.uuid(),
  clinicId: z.uuid(),
  /** Null for an elastic booking (then `elasticAllocationId` is set). */
  slotId: z.uuid().nullable(),
  elasticAllocationId: z.uuid().nullable(),
  start: isoInstant,
  end: isoInstant,
  status: z.enum(appointmentStatuses),
  version: z.number().int(),
  holdExpiresAt: isoInstant.nullable(),
});
export type AppointmentLive = z.infer<typeof appointmentLiveSchema>;
/** created | confirmed | cancelled | rescheduled | expired | status_changed | retimed | handed_over … */
export const appointmentChangeSchema = appointmentLiveSchema.extend({
  cause: z.string(),
  /** Set when the visit moved to another doctor (a queue handover): that doctor's `doctor:` topic gets the change too. */
  previousDoctorId: z.uuid().optional(),
  /** Set when the change freed the appointment's place: the status it had before (loyalty returns points by it). */
  previousStatus: z.enum(appointmentStatuses).optional(),
  /** `appointment.probable_no_show` (staff topics only): when the lifecycle job flagged the visit. */
  probableNoShowAt: isoInstant.optional(),
});

export const slotsSnapshotSchema = z.object({
  doctorId: z.uuid(),
  from: isoInstant,
  to: isoInstant,
  slots: z.array(slotLiveSchema),
  blocks: z.array(blockLiveSchema),
});
export type SlotsSnapshot = z.infer<typeof slotsSnapshotSchema>;

export const doctorSnapshotSchema = z.object({
  doctorId: z.uuid(),
  appointments: z.array(appointmentLiveSchema),
  queue: z.array(queueEntryViewSchema),
});
export type DoctorSnapshot = z.infer<typeof doctorSnapshotSchema>;

export const clinicSnapshotSchema = z.object({
  clinicId: z.uuid(),
  appointments: z.array(appointmentLiveSchema),
  queue: z.array(queueEntryViewSchema),
});
export type ClinicSnapshot = z.infer<typeof clinicSnapshotSchema>;

export const meSnapshotSchema = z.object({
  userId: z.uuid(),
  appointments: z.array(appointmentLiveSchema),
  unreadNotifications: z.number().int(),
  waitlist: z.array(waitlistEntryViewSchema),
});
export type MeSnapshot = z.infer<typeof meSnapshotSchema>;

/** `notification.read` on `me`: the ids marked read (or "all") and the unread count after it. */
export const notificationReadEventSchema = z.object({
  ids: z.union([z.array(z.uuid()), z.literal("all")]),
  unread: z.number().int(),
});
export type NotificationReadEvent = z.infer<typeof notificationReadEventSchema>;
