/**
 * Request and reply shapes of the notifications module: the user's inbox, their channel
 * preferences, and the outbox view for admins. Bodies are strict: an unknown field is a 400 naming it.
 */
import { z } from "zod";
import { offsetInstantSchema } from "./calendar";
import { deliveryStatuses, notificationChannels } from "./directory";

export type DeliveryStatus = (typeof deliveryStatuses)[number];


/** "HH:MM", 24-hour wall-clock time. */
export const clockTimeSchema = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "a time as HH:MM (00:00–23:59)");

export const quietHoursSchema = z
  .strictObject({ start: clockTimeSchema, end: clockTimeSchema })
  .refine((hours) => hours.start !== hours.end, { message: "must differ from start", path: ["end"] });

// ---------------------------------------------------------------- preferences

export const notificationPreferencesSchema = z.object({
  email: z.boolean(),
  sms: z.boolean(),
  push: z.boolean(),
  /** In-app messages are always on: they are the inbox. */
  inApp: z.literal(true),
  /** Local wall-clock window (may wrap midnight) in which reminders are held back; null means none. */
  quietHours: z.object({ start: z.string(), end: z.string() }).nullable(),
  language: z.string(),
});
export type NotificationPreferencesView = z.infer<typeof notificationPreferencesSchema>;

export const updateNotificationPreferencesSchema = z.strictObject({
  email: z.boolean(),
  sms: z.boolean(),
  push: z.boolean(),
  quietHours: quietHoursSchema.nullable(),
});
export type UpdateNotificationPreferences = z.infer<typeof updateNotificationPreferencesSchema>;

// ---------------------------------------------------------------- inbox

export const inboxItemSchema = z.object({
  id: z.uuid(),
  template: z.string(),
  title: z.string(),
  body: z.string(),
  createdAt: offsetInstantSchema,
  readAt: offsetInstantSchema.nullable(),
});
export type InboxItem = z.infer<typeof inboxItemSchema>;

export const inboxQuerySchema = z.strictObject({
  /** Opaque: the `nextCursor` of the previous page. */
  cursor: z.uuid("not a cursor from a previous page").optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});
export type InboxQuery = z.infer<typeof inboxQuerySchema>;

export const inboxPageSchema = z.object({
  items: z.array(inboxItemSchema),
  nextCursor: z.string().nullable(),
  /** Unread messages in the whole inbox, not just this page. */
  unread: z.number().int().min(0),
});

export const readAllReplySchema = z.object({ marked: z.number().int().min(0), unread: z.literal(0) });

// ---------------------------------------------------------------- outbox (admins)

export const outboxQuerySchema = z.strictObject({
  status: z.enum(deliveryStatuses).optional(),
  channel: z.enum(notificationChannels).optional(),
  /** Required for clinic admins (their clinic); optional for platform admins. */
  clinicId: z.uuid().optional(),
  cursor: z.uuid("not a cursor from a previous page").optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
export type OutboxQuery = z.infer<typeof outboxQuerySchema>;

export const outboxItemSchema = z.object({
  id: z.uuid(),
  userId: z.uuid().nullable(),
  clinicId: z.uuid().nullable(),
  channel: z.enum(notificationChannels),
  /** Masked: j***@example.com, +44******12. */
  recipient: z.string(),
  template: z.string(),
  status: z.enum(deliveryStatuses),
  statusDetail: z.string().nullable(),
  attempts: z.number().int(),
  providerId: z.string().nullable(),
  createdAt: offsetInstantSchema,
  sentAt: offsetInstantSchema.nullable(),
  deliveredAt: offsetInstantSchema.nullable(),
  updatedAt: offsetInstantSchema,
});
export type OutboxItem = z.infer<typeof outboxItemSchema>;

export const outboxPageSchema = z.object({ items: z.array(outboxItemSchema), nextCursor: z.string().nullable() });

// ---------------------------------------------------------------- live event

/** `notification.created` on `me`: a new in-app message, as the inbox lists it. */
export type NotificationCreatedEvent = InboxItem;

// ---------------------------------------------------------------- provider callbacks

/** What Twilio posts to the StatusCallback (form-encoded); other fields are signed and ignored. */
export const twilioStatusCallbackSchema = z.looseObject({
  MessageSid: z.string().min(1).max(64),
  MessageStatus: z.string().min(1).max(32),
  ErrorCode: z.string().max(16).optional(),
  ErrorMessage: z.string().max(500).optional(),
});

/** GET /dev/mailbox (development only): the email the development mailbox caught, newest first. */
export const devMailboxSchema = z.object({
  items: z.array(z.object({ to: z.string(), subject: z.string(), text: z.string(), at: z.iso.datetime({ offset: true }) })),
});
export type DevMailbox = z.infer<typeof devMailboxSchema>;
