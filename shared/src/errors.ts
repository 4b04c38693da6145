/**
 * Every error code the API answers with, listed once: its HTTP status and a default human message.
 * The server's error factories (server/src/platform/errors.ts) accept only these codes, each with
 * the status listed here; the web shows a problem's `detail` and falls back to the message here.
 * Codes are stable: clients branch on them, so rename none.
 */

interface ErrorSpec {
  /** Two statuses only where one code has long answered two ways (see the entry). */
  status: number | readonly number[];
  message: string;
}

export const ERRORS = {
  // Any route (the platform's error handler and guards).
  VALIDATION_FAILED: { status: 400, message: "Some fields are invalid" },
  MALFORMED_BODY: { status: 400, message: "The request body is not valid JSON" },
  /** Another client error Fastify reported; it keeps Fastify's 4xx status. */
  BAD_REQUEST: { status: 400, message: "The request is not valid" },
  UNAUTHENTICATED: { status: 401, message: "Sign in first" },
  FORBIDDEN: { status: 403, message: "Not allowed" },
  NOT_FOUND: { status: 404, message: "Not found" },
  READ_ONLY: { status: 405, message: "This resource is read-only" },
  REQUEST_TIMEOUT: { status: 408, message: "The request took too long to arrive" },
  PAYLOAD_TOO_LARGE: { status: 413, message: "The request body is too large" },
  URI_TOO_LONG: { status: 414, message: "A path parameter is too long" },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, message: "Unsupported content type" },
  RATE_LIMITED: { status: 429, message: "Too many requests, slow down" },
  HEADERS_TOO_LARGE: { status: 431, message: "The request line and headers are too large" },
  INTERNAL: { status: 500, message: "Something went wrong on our side; it has been logged" },
  /** A dependency the route cannot do without (the sign-in limiter's Redis) is unreachable; carries `retryAfterSeconds`. */
  TEMPORARILY_UNAVAILABLE: { status: 503, message: "This is unavailable for a moment; try again shortly" },
  /** The connection to PostgreSQL was lost under the request (Retry-After says when to try again). */
  DATABASE_UNAVAILABLE: {
    status: 503,
    message: "The database could not be reached; try again shortly. A write sent without an Idempotency-Key may or may not have been saved",
  },
  CONCURRENT_CHANGE: { status: 409, message: "Changed concurrently; try again" },

  // Identity: accounts, sign-in, one-time codes, two-factor, sessions (docs/identity.md).
  ACCOUNT_EXISTS: { status: 409, message: "An account with this email or phone number already exists" },
  ACCOUNT_UNVERIFIED: { status: 403, message: "Verify your account first (POST /auth/verify); a new code can be sent with POST /auth/verify/resend" },
  ACCOUNT_DEACTIVATED: { status: 403, message: "This account has been deactivated" },
  ACCOUNT_LOCKED: { status: 429, message: "Too many failed sign-ins; the account is locked for a while" },
  INVALID_CREDENTIALS: { status: 401, message: "Wrong email, phone or password" },
  INVALID_CURRENT_PASSWORD: { status: 403, message: "The current password is wrong" },
  CODE_INVALID: { status: 422, message: "The code is wrong or no longer valid; request a new one" },
  CODE_EXPIRED: { status: 422, message: "The code has expired; request a new one" },
  CODE_EXHAUSTED: { status: 422, message: "The code was tried too often and no longer works; request a new one" },
  TOTP_REQUIRED: { status: 401, message: "Enter the code from your authenticator app, or a backup code" },
  /** 401 at sign-in (a failed sign-in); 422 when a signed-in user turns two-factor on or off. */
  TOTP_INVALID: { status: [401, 422], message: "The authenticator or backup code is wrong" },
  TOTP_REQUIRED_FOR_ROLE: { status: 403, message: "Staff and admin accounts must keep two-factor sign-in" },
  TOTP_ALREADY_ENABLED: { status: 409, message: "Two-factor sign-in is already on" },
  TOTP_NOT_SET_UP: { status: 409, message: "Start with POST /auth/totp/setup" },
  TOTP_NOT_ENABLED: { status: 409, message: "Two-factor sign-in is not on" },
  INVALID_REFRESH_TOKEN: { status: 401, message: "The refresh token is invalid, expired or revoked; sign in again" },
  REFRESH_TOKEN_REUSED: { status: 401, message: "This refresh token was already used; the session has been ended. Sign in again" },

  // Directory: clinics, staff, doctors, specialties, services (docs/directory.md).
  CANNOT_DEACTIVATE_SELF: { status: 422, message: "You cannot deactivate your own account" },
  SLUG_TAKEN: { status: 409, message: "This slug is already in use" },
  UNKNOWN_PARENT_CLINIC: { status: 422, message: "The parent clinic does not exist" },
  PARENT_CYCLE: { status: 422, message: "A clinic cannot be its own ancestor" },
  UNKNOWN_SPECIALTY: { status: 422, message: "Some specialties do not exist" },
  SPECIALTY_EXISTS: { status: 409, message: "This specialty already exists" },
  ALREADY_APPROVED: { status: 409, message: "The doctor is already approved" },
  ALREADY_REJECTED: { status: 409, message: "The doctor is already rejected" },
  CREDENTIALS_MISSING: { status: 422, message: "The doctor has not submitted credentials" },
  DOCUMENTS_MISSING: { status: 422, message: "The doctor has not uploaded any credential documents" },
  DOCUMENT_LIMIT: { status: 409, message: "The doctor already keeps the most documents allowed: remove one first" },
  DOCTOR_ALREADY_APPROVED: { status: 409, message: "An approved doctor's documents stay as they were approved" },
  MEMBERSHIP_EXISTS: { status: 409, message: "This user already has that role at this clinic" },
  UNKNOWN_USER: { status: 422, message: "No such user" },
  USER_INACTIVE: { status: 422, message: "The account is deactivated" },
  ROLE_MISMATCH: { status: 422, message: "This account cannot hold that role" },
  SERVICE_NAME_TAKEN: { status: 409, message: "This clinic already has a service with that name" },

  // Scheduling: rules, templates, slots, elastic blocks, overbooking, import (docs/scheduling.md).
  DOCTOR_NOT_AT_CLINIC: { status: 422, message: "The doctor does not work at this clinic" },
  SERVICE_NOT_AT_CLINIC: { status: 422, message: "The service is not one of this clinic's" },
  UNKNOWN_SERVICE: { status: 422, message: "No such service at this clinic" },
  PATIENT_NOT_FOUND: { status: 422, message: "No such patient" },
  LOCUM_AD_HOC_ONLY: { status: 422, message: "Locum doctors have single-day rules only (validFrom = validUntil)" },
  WEEKLY_HOURS_EXCEEDED: { status: 422, message: "These rules go over the doctor's maximum hours in a week" },
  SCHEDULE_CONFLICT: { status: 409, message: "The new slots would overlap existing slots of this doctor" },
  SLOT_CONFLICT: { status: 409, message: "Overlaps another slot of this doctor" },
  SLOT_OVERLAP: { status: 409, message: "Another slot of this doctor was created over the same time meanwhile; try again" },
  TEMPLATE_NAME_TAKEN: { status: 409, message: "This clinic already has a template with that name" },
  NOTHING_TO_SAVE: { status: 422, message: "The doctor has no rules or slots at this clinic in that span" },
  IMPORT_HAS_ERRORS: { status: 422, message: "The file has problems; nothing was imported" },
  OVERBOOKING_NOT_ALLOWED: { status: 422, message: "No overbooking policy of this clinic covers this doctor and service" },
  OVERBOOKING_CAP_REACHED: { status: 422, message: "The doctor's overbooking cap for that day is reached" },
  CAPACITY_TOO_LARGE: { status: 422, message: "capacityMinutes may be at most the block's length" },
  SCHEDULE_OVERLAP: { status: 409, message: "The block overlaps the doctor's slots or another elastic block" },
  BLOCK_FULL: { status: 409, message: "The block has no room for that" },
  INVALID_POSITION: { status: 422, message: "No such place in the block's sequence" },
  ALLOCATION_FREED: { status: 409, message: "The allocation was freed" },
  ALLOCATION_BOOKED: { status: 409, message: "This allocation is an appointment's; change the appointment instead" },
  OUTSIDE_BLOCK: { status: 422, message: "The offer's start is not inside the block" },

  // Booking: holds, confirm, cancel, reschedule, booking policy (docs/booking.md).
  SLOT_TAKEN: { status: 409, message: "The slot is no longer available" },
  SLOT_BUSY: { status: 409, message: "Someone else is booking this slot right now" },
  HOLD_EXPIRED: { status: 409, message: "The hold has lapsed; book the slot again" },
  PAYMENT_REQUIRED: { status: 409, message: "This booking is confirmed by paying for it" },
  ILLEGAL_TRANSITION: { status: 409, message: "Not possible in its current status" },
  CANCEL_CUTOFF_PASSED: { status: 409, message: "It is too late to cancel online; call the clinic" },
  IN_QUEUE: { status: 409, message: "The patient is in today's queue: use the queue's actions" },
  RULE_VIOLATION: { status: 422, message: "The booking breaks the clinic's rules" },
  NO_SHOW_BLOCKED: { status: 403, message: "Online booking is blocked after 3 missed appointments of the last 5" },
  SUBSCRIPTION_REQUIRED: { status: 403, message: "subscribe to book" },
  VISE_RELATION_REQUIRED: { status: 403, message: "The vise tier books only with a doctor the patient has a relation with" },
  PATIENT_REQUIRED: { status: 422, message: "Name the patient to book for" },
  SLOT_NOT_BOOKABLE: { status: 422, message: "This slot cannot be booked here" },
  SLOT_IN_PAST: { status: 422, message: "The slot has already started" },
  SAME_SLOT: { status: 422, message: "The appointment is already in this slot" },
  SERVICE_REQUIRED: { status: 422, message: "An elastic offer is sized by the appointment's service, and this one has none" },
  CURRENCY_CHANGE: { status: 422, message: "A paid visit moves only to a time priced in the same currency; cancel and book again" },
  IDEMPOTENCY_KEY_REUSED: { status: 422, message: "This Idempotency-Key was used for a different request" },

  // Waitlist and loyalty (docs/waitlist.md, docs/loyalty.md).
  WAITLIST_DUPLICATE: { status: 409, message: "Already waiting for this doctor on these dates" },
  OFFER_EXPIRED: { status: 409, message: "The offer's hold has lapsed; the slot went to the next patient" },
  OFFER_CLOSED: { status: 409, message: "The offer is closed" },
  LOYALTY_REDEMPTION_OFF: { status: 422, message: "This clinic does not take loyalty points" },
  INSUFFICIENT_POINTS: { status: 409, message: "Not enough loyalty points for a free booking here" },

  // Payments (docs/payments.md).
  PAYMENT_PROVIDER_UNAVAILABLE: { status: 503, message: "No payment provider is configured" },
  NOT_PAYABLE: { status: 409, message: "This appointment cannot be paid now" },
  NOT_REFUNDABLE: { status: 409, message: "The payment has no PaymentIntent to refund" },
  ALREADY_REFUNDED: { status: 409, message: "This payment was refunded already" },
  INSUFFICIENT_BALANCE: { status: 409, message: "The amount exceeds the balance" },
  /** 400 for Stripe's webhook (as Stripe expects); 403 for Twilio's status callback. */
  BAD_SIGNATURE: { status: [400, 403], message: "The signature is missing or wrong" },

  // Queue: check-in, walk-ins, the live queue (docs/queue.md).
  ALREADY_CHECKED_IN: { status: 409, message: "This appointment is checked in already" },
  CHECK_IN_CODE_INVALID: { status: 422, message: "That is not today's check-in code of the appointment's clinic" },
  CHECK_IN_WINDOW: { status: 422, message: "Check-in is not open for this appointment now" },
  NOT_TODAY: { status: 422, message: "Only appointments of today (clinic time) can be checked in" },
  CLINIC_REQUIRED: { status: 422, message: "The doctor works at several clinics today: name one" },
  SAME_DOCTOR: { status: 422, message: "The entry is already with this doctor" },
  PHONE_IN_USE: { status: 409, message: "This phone number belongs to an account that is not a patient's" },
  VERSION_CONFLICT: { status: 409, message: "The queue entry changed since you read it; reload and try again" },
  /** Carries `nextFreeAt`: when the next free walk-in slot starts (or null). */
  NO_WALK_IN_CAPACITY: { status: 409, message: "No walk-in capacity is left today" },
  /** Carries the entry holding the doctor's one called place (doctorBusyProblemSchema). */
  ALREADY_CALLED: { status: 409, message: "The doctor already has a called patient: start, send back or mark no-show first" },
  /** Carries the entry holding the doctor's one in-room place (doctorBusyProblemSchema). */
  ALREADY_IN_ROOM: { status: 409, message: "The doctor already has a patient in the room: finish or send back first" },

  // Reviews (docs/reviews.md).
  APPOINTMENT_NOT_COMPLETED: { status: 409, message: "Only a completed appointment can be reviewed" },
  REVIEW_EXISTS: { status: 409, message: "This appointment has already been reviewed" },
  REPLY_EXISTS: { status: 409, message: "This review already has a reply: edit it with PUT" },
  NO_REPLY: { status: 409, message: "This review has no reply to edit yet: POST one" },
  REVIEW_HIDDEN: { status: 409, message: "The review is already hidden" },
  REVIEW_NOT_HIDDEN: { status: 409, message: "The review is not hidden" },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

type Statuses<C extends ErrorCode> = (typeof ERRORS)[C]["status"] extends infer S ? (S extends readonly (infer N)[] ? N : S) : never;
/** The codes listed with `status`: what the server's factory of that status accepts. */
export type ErrorCodeWithStatus<S extends number> = { [C in ErrorCode]: S extends Statuses<C> ? C : never }[ErrorCode];

/** The listed default message of `code`; undefined for a code this build does not know (a newer server's). */
export function errorMessage(code: string): string | undefined {
  return Object.hasOwn(ERRORS, code) ? ERRORS[code as ErrorCode].message : undefined;
}
