/**
 * The queue module's contract so far: display tokens for waiting-room screens (HTTP) and the
 * `display:{clinicId}` topic's snapshot. The live queue (check-in, call-next, ETAs) arrives later.
 */
import { z } from "zod";

const isoInstant = z.iso.datetime();

/** How a patient joined the queue; emergencies jump ahead with a reason. */
export const queueEntryKinds = ["appointment", "walk_in", "emergency"] as const;
export type QueueEntryKind = (typeof queueEntryKinds)[number];
/** waiting → called → in_room → done, or left / no_show. */
export const queueEntryStatuses = ["waiting", "called", "in_room", "done", "left", "no_show"] as const;
export type QueueEntryStatus = (typeof queueEntryStatuses)[number];
const localDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "YYYY-MM-DD");

/** Every display token starts with this; the rest is `<id>.<secret>`. */
export const DISPLAY_TOKEN_PREFIX = "dsp_";

/** `dsp_<uuid>.<43 base64url chars>` (a 32-byte secret). Anything else is not a display token. */
export const displayTokenPattern =
  /^dsp_([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.([A-Za-z0-9_-]{43})$/;

/** The screen's label as people read it in the admin list ("Lobby TV"). */
const displayName = z
  .string()
  .trim()
  .min(1)
  .max(100)
  .regex(/^[^\p{Cc}]*$/u, "no control characters");

export const createDisplayTokenRequestSchema = z.strictObject({ name: displayName });
export type CreateDisplayTokenRequest = z.infer<typeof createDisplayTokenRequestSchema>;

/** A display token as admins list it: never the token itself. */
export const displayTokenSchema = z.object({
  id: z.uuid(),
  clinicId: z.uuid(),
  name: z.string(),
  createdAt: isoInstant,
  createdBy: z.uuid().nullable(),
  lastUsedAt: isoInstant.nullable(),
  revokedAt: isoInstant.nullable(),
});
export type DisplayTokenView = z.infer<typeof displayTokenSchema>;

export const displayTokenListSchema = z.object({ items: z.array(displayTokenSchema) });

/** The reply to creation: the only time the token is ever shown. */
export const createdDisplayTokenSchema = z.object({
  id: z.uuid(),
  clinicId: z.uuid(),
  name: z.string(),
  createdAt: isoInstant,
  /** `dsp_<id>.<secret>`: give it to the screen; it cannot be read again. */
  token: z.string().regex(displayTokenPattern),
});
export type CreatedDisplayToken = z.infer<typeof createdDisplayTokenSchema>;

/**
 * What a waiting-room screen sees when it subscribes to `display:{clinicId}`. Anonymised by design:
 * never a patient name, reason or anything clinical. The waiting-queue issue adds the queue itself.
 */
export const displaySnapshotSchema = z.object({
  clinic: z.object({ id: z.uuid(), name: z.string(), timeZone: z.string() }),
  /** Today in the clinic's time zone. */
  date: localDate,
});
export type DisplaySnapshot = z.infer<typeof displaySnapshotSchema>;
