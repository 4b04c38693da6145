/**
 * The queue module's contract: display tokens for waiting-room screens, the live queue (check-in,
 * walk-ins, call-next, doctor and reception actions) and the anonymised display feed.
 */
import { z } from "zod";
import { instantSchema, localDateSchema } from "./calendar";
import type { ErrorCode } from "./errors";


/** How a patient joined the queue; emergencies jump ahead with a reason. */
export const queueEntryKinds = ["appointment", "walk_in", "emergency"] as const;
export type QueueEntryKind = (typeof queueEntryKinds)[number];
/** waiting → called → in_room → done, or left / no_show. */
export const queueEntryStatuses = ["waiting", "called", "in_room", "done", "left", "no_show"] as const;
export type QueueEntryStatus = (typeof queueEntryStatuses)[number];

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
  createdAt: instantSchema,
  createdBy: z.uuid().nullable(),
  lastUsedAt: instantSchema.nullable(),
  revokedAt: instantSchema.nullable(),
});
export type DisplayTokenView = z.infer<typeof displayTokenSchema>;

export const displayTokenListSchema = z.object({ items: z.array(displayTokenSchema) });

/** The reply to creation: the only time the token is ever shown. */
export const createdDisplayTokenSchema = z.object({
  id: z.uuid(),
  clinicId: z.uuid(),
  name: z.string(),
  createdAt: instantSchema,
  /** `dsp_<id>.<secret>`: give it to the screen; it cannot be read again. */
  token: z.string().regex(displayTokenPattern),
});
export type CreatedDisplayToken = z.infer<typeof createdDisplayTokenSchema>;

// ---------------------------------------------------------------- the live queue (docs/queue.md)

/** Every queue writer names the entry version it read; a stale one is 409 VERSION_CONFLICT. */
const entryVersion = z.number().int().min(1);
/** Free text a person types (a reason): trimmed, 1–500 characters, no control characters. */
export const typedReasonSchema = z
  .string()
  .trim()
  .min(1)
  .max(500)
  .regex(/^[^\p{Cc}]*$/u, "no control characters");

/** POST /clinics/:clinicId/queue/check-in (staff): a booked appointment of today joins the queue. */
export const staffCheckInRequestSchema = z.strictObject({ appointmentId: z.uuid() });
export type StaffCheckInRequest = z.infer<typeof staffCheckInRequestSchema>;

/** The daily clinic check-in code: 8 characters of Crockford base32 (shown on the waiting-room display, as text and QR). */
export const checkInCodePattern = /^[0-9A-HJKMNP-TV-Z]{8}$/;

/** POST /appointments/:appointmentId/check-in (the patient): the code on the waiting-room screen proves presence. */
export const selfCheckInRequestSchema = z.strictObject({
  code: z
    .string()
    .trim()
    .transform((code) => code.toUpperCase())
    .pipe(z.string().regex(checkInCodePattern, "the 8-character code shown on the waiting-room screen")),
});
export type SelfCheckInRequest = z.infer<typeof selfCheckInRequestSchema>;

/** POST /clinics/:clinicId/patients (staff): the patient on the phone, found by their number or recorded. */
export const quickPatientReplySchema = z.object({ id: z.uuid(), fullName: z.string(), phone: z.string(), created: z.boolean() });
export type QuickPatientReply = z.infer<typeof quickPatientReplySchema>;

/** POST /doctors/:doctorId/queue/call-next: optional room to announce and the clinic (else inferred). */
export const callNextRequestSchema = z
  .strictObject({
    clinicId: z.uuid().optional(),
    room: z
      .string()
      .trim()
      .min(1)
      .max(32)
      .regex(/^[^\p{Cc}]*$/u, "no control characters")
      .optional(),
  })
  .default({});
export type CallNextRequest = z.infer<typeof callNextRequestSchema>;

/** start, finish, send-back, no-show, leave: the version read. */
export const queueEntryVersionRequestSchema = z.strictObject({ version: entryVersion });
/** Reorder: a manual rank (1 = first; null clears it) and why (audited). */
export const reorderRequestSchema = z.strictObject({ version: entryVersion, rank: z.number().int().min(1).max(1000).nullable(), reason: typedReasonSchema });
export type ReorderRequest = z.infer<typeof reorderRequestSchema>;
/** Reassign (handover) to another doctor of the clinic; the reason lands in the audit trail. */
export const reassignRequestSchema = z.strictObject({ version: entryVersion, doctorId: z.uuid(), reason: typedReasonSchema.optional() });
export type ReassignRequest = z.infer<typeof reassignRequestSchema>;

/** A queue entry as staff and doctors see it (never sent to a display). */
export const queueEntryViewSchema = z.object({
  id: z.uuid(),
  clinicId: z.uuid(),
  serviceDay: localDateSchema,
  doctorId: z.uuid().nullable(),
  doctorName: z.string().nullable(),
  patientId: z.uuid(),
  patientName: z.string(),
  appointmentId: z.uuid().nullable(),
  appointmentStart: instantSchema.nullable(),
  slotId: z.uuid().nullable(),
  kind: z.enum(queueEntryKinds),
  ticket: z.string(),
  status: z.enum(queueEntryStatuses),
  reason: z.string().nullable(),
  manualRank: z.number().int().nullable(),
  room: z.string().nullable(),
  arrivedAt: instantSchema,
  calledAt: instantSchema.nullable(),
  startedAt: instantSchema.nullable(),
  finishedAt: instantSchema.nullable(),
  leftAt: instantSchema.nullable(),
  /** The live ETA (set by the ETA job; null until it has run). */
  expectedAt: instantSchema.nullable(),
  version: z.number().int(),
});
export type QueueEntryView = z.infer<typeof queueEntryViewSchema>;

/** GET /clinics/:clinicId/queue?date= (default: today in the clinic's zone). */
export const queueListQuerySchema = z.strictObject({ date: localDateSchema.optional() });

export const queueListSchema = z.object({ clinicId: z.uuid().nullable(), date: localDateSchema.nullable(), items: z.array(queueEntryViewSchema) });
export type QueueList = z.infer<typeof queueListSchema>;
export const callNextReplySchema = z.object({ entry: queueEntryViewSchema.nullable() });

/**
 * The body of 409 ALREADY_CALLED / ALREADY_IN_ROOM: the entry that holds the doctor's one called
 * (or in-room) place, so staff can act on it. It may be of an earlier day (`serviceDay`): the rule
 * is the doctor's, not the day's.
 */
export const doctorBusyProblemSchema = z.looseObject({
  status: z.literal(409),
  code: z.enum(["ALREADY_CALLED", "ALREADY_IN_ROOM"] satisfies ErrorCode[]),
  detail: z.string(),
  entryId: z.uuid(),
  ticket: z.string(),
  clinicId: z.uuid(),
  serviceDay: localDateSchema,
  /** The holder's version, for the action that resolves it. */
  version: z.number().int(),
});
export type DoctorBusyProblem = z.infer<typeof doctorBusyProblemSchema>;

// ---------------------------------------------------------------- the display feed (anonymised)

/** One ticket on a waiting-room screen: no name, reason, patient id, phone or anything clinical. */
export const displayTicketSchema = z.strictObject({
  ticket: z.string(),
  /** Initials only: "A. R." */
  maskedName: z.string(),
  /** Where to go: the room when known, and the doctor's display name (null: any doctor). */
  room: z.string().nullable(),
  doctorName: z.string().nullable(),
  status: z.enum(["waiting", "called", "in_room"]),
  /** Minutes until expected (from the ETA job); null when not estimated. */
  estimatedWaitMinutes: z.number().int().min(0).nullable(),
  /** The expected time itself: the same instant the board and the patient are shown; null when not estimated. */
  expectedAt: z.iso.datetime().nullable(),
});
export type DisplayTicket = z.infer<typeof displayTicketSchema>;

/**
 * What a waiting-room screen sees: the subscribe ack of `display:{clinicId}`, the `display.updated`
 * event's data, and GET /clinics/:clinicId/display. Anonymised by design.
 */
export const displaySnapshotSchema = z.strictObject({
  clinic: z.strictObject({ id: z.uuid(), name: z.string(), timeZone: z.string() }),
  /** Today in the clinic's time zone. */
  date: localDateSchema,
  /** Today's check-in code for patients (render as text and QR); changes at local midnight. */
  checkInCode: z.string().regex(checkInCodePattern),
  /** Called and in-room tickets, most recently called first. */
  nowServing: z.array(displayTicketSchema),
  /** Waiting tickets in likely call order (at most 20). */
  next: z.array(displayTicketSchema),
  waitingCount: z.number().int().min(0),
  /** When the database was read: feeds may arrive out of order, so a screen keeps the newest. */
  asOf: instantSchema,
});
export type DisplaySnapshot = z.infer<typeof displaySnapshotSchema>;

/** The `display.called` event: what a screen announces ("W-004, A. R., Room 3, Dr Sen"). */
export const displayCalledSchema = z.strictObject({
  ticket: z.string(),
  maskedName: z.string(),
  room: z.string().nullable(),
  doctorName: z.string().nullable(),
  calledAt: instantSchema,
});
export type DisplayCalled = z.infer<typeof displayCalledSchema>;

// ---------------------------------------------------------------- reception's patient lookup

/**
 * GET /clinics/:clinicId/queue/patients (staff): patients known to the clinic (an appointment or a
 * queue entry there, or a relation with one of its doctors). `q` searches name or phone (walk-in
 * registration); `ids` resolves names for the board and the day calendar (appointment events carry
 * ids only). Exactly one of the two.
 */
export const patientLookupQuerySchema = z
  .strictObject({
    q: z.string().trim().min(2).max(100).optional(),
    ids: z
      .string()
      .transform((value) => value.split(",").filter(Boolean))
      .pipe(z.array(z.uuid()).min(1).max(100))
      .optional(),
  })
  .superRefine((value, ctx) => {
    if ((value.q === undefined) === (value.ids === undefined)) ctx.addIssue({ code: "custom", path: ["q"], message: "give exactly one of q or ids" });
  });
export const patientLookupItemSchema = z.object({ id: z.uuid(), fullName: z.string(), phone: z.string().nullable() });
export type PatientLookupItem = z.infer<typeof patientLookupItemSchema>;
export const patientLookupReplySchema = z.object({ items: z.array(patientLookupItemSchema) });
