/**
 * Domain errors and their factories (docs/api.md, "Errors"). Every code is listed once in
 * @clinic/shared `ERRORS` with its status; a factory accepts only the codes listed with its status,
 * so a code cannot drift to another status. The message defaults to the listed one: pass one when it
 * says more (which slot, how many tries). `extra` members land in the problem+json body next to
 * `code` (`field`, `nextFreeAt`, `conflicts` …). The error handler (problem.ts) renders them.
 */
import { ERRORS, type ErrorCode, type ErrorCodeWithStatus } from "@clinic/shared";

/** A failure the client can act on, with a stable code. Made by the factories below; the edge renders it. */
export class DomainError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = "DomainError";
  }
}

type Extra = Record<string, unknown>;
export interface FieldError {
  /** `<part>.<path>`, as the edge names a field zod rejected: `body.slotId`, `query.to`. */
  field: string;
  message: string;
}

interface Factory<S extends number> {
  (code: ErrorCodeWithStatus<S>, message?: string, extra?: Extra): DomainError;
  (code: ErrorCodeWithStatus<S>, extra: Extra): DomainError;
}

function factory<S extends number>(status: S): Factory<S> {
  return (code: ErrorCodeWithStatus<S>, messageOrExtra?: string | Extra, extra: Extra = {}) =>
    typeof messageOrExtra === "string"
      ? new DomainError(status, code, messageOrExtra, extra)
      : new DomainError(status, code, ERRORS[code].message, messageOrExtra ?? extra);
}

/** 400 VALIDATION_FAILED naming each rejected field: the same body a schema rejection at the edge gets. */
export function invalidFields(errors: FieldError[]): DomainError {
  return new DomainError(400, "VALIDATION_FAILED", `Invalid ${errors.map((e) => e.field).join(", ")}`, { errors });
}

/** 400 VALIDATION_FAILED for one field, for rules a schema cannot state (a cursor, a span's length). */
export const invalid = (field: string, message: string) => invalidFields([{ field, message }]);

/** 400 with a code of its own (a webhook's BAD_SIGNATURE). */
export const badRequest = factory(400);

/** 401: not signed in (UNAUTHENTICATED), or a sign-in that failed (INVALID_CREDENTIALS, TOTP_REQUIRED …). */
export const unauthenticated = factory(401);

/** 403 FORBIDDEN: the guard said no; `reason` says what would be allowed. */
export function forbidden(reason?: string, extra?: Extra): DomainError {
  return new DomainError(403, "FORBIDDEN", reason ?? ERRORS.FORBIDDEN.message, extra);
}

/** 403 with a code of its own: the account's state or a booking policy refuses (NO_SHOW_BLOCKED …). */
export const denied = factory(403);

/** 404 NOT_FOUND, "`what` not found": also what a caller gets for a thing they may not know exists. */
export function notFound(what: string, extra?: Extra): DomainError {
  return new DomainError(404, "NOT_FOUND", `${what} not found`, extra);
}

/** 409: the state of things says no (SLOT_TAKEN, HOLD_EXPIRED, CONCURRENT_CHANGE …). */
export const conflict = factory(409);

/** 422: understood, but the request breaks a rule (RULE_VIOLATION, DOCTOR_NOT_AT_CLINIC …). */
export const unprocessable = factory(422);

/** 429 with `retryAfterSeconds` (identity's own limits; the platform's global limit answers by itself). */
export const tooManyRequests = factory(429);

/** 503: a provider this needs is not configured or cannot be reached. */
export const unavailable = factory(503);
