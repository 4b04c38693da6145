/**
 * Every number of the identity module's abuse protection in one place (documented in
 * docs/identity.md). Counters live in Redis (shared by every node) through the platform's attempt
 * limiter; account keys are SHA-256 digests of the identifier the client typed, so unknown accounts
 * are limited exactly like real ones (no enumeration) and no e-mail address ends up in a Redis key.
 */
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import type { AttemptLimiter } from "../../platform/attempts";
import { DomainError, tooManyRequests, unavailable } from "../../platform/errors";
import { sha256 } from "./tokens";

export interface Rule {
  limit: number;
  windowSeconds: number;
}

/** Login attempts per client address. */
export const LOGIN_PER_IP: Rule = { limit: 20, windowSeconds: 60 };
/** Consecutive failed logins (wrong password or wrong second factor) that lock an account… */
export const LOGIN_FAILURES_BEFORE_LOCK = 5;
/** …counted within this window (a successful login resets the count)… */
export const LOGIN_FAILURE_WINDOW_SECONDS = 15 * 60;
/** …for this long. */
export const ACCOUNT_LOCK_SECONDS = 15 * 60;
/** Registrations per client address. */
export const REGISTER_PER_IP: Rule = { limit: 10, windowSeconds: 60 * 60 };
/** Code checks (verify, password reset) per client address. */
export const CODE_CHECK_PER_IP: Rule = { limit: 30, windowSeconds: 15 * 60 };
/** Code checks per account, across re-issued codes (each code also has its own 5-try budget). */
export const CODE_CHECK_PER_ACCOUNT: Rule = { limit: 15, windowSeconds: 60 * 60 };
/** Code sends (verification resend, password forgot) per client address. */
export const CODE_SEND_PER_IP: Rule = { limit: 20, windowSeconds: 60 * 60 };
/** Code sends per account and purpose. */
export const CODE_SEND_PER_ACCOUNT: Rule = { limit: 5, windowSeconds: 60 * 60 };
/** TOTP enable/disable tries per signed-in user. */
export const TOTP_CHECK_PER_USER: Rule = { limit: 10, windowSeconds: 15 * 60 };
/** Password changes (tries of the current password) per signed-in user. */
export const PASSWORD_CHANGE_PER_USER: Rule = { limit: 10, windowSeconds: 60 * 60 };

/** Retry-After of the 503 while the counters' Redis is unreachable (a restarted Redis is back within seconds). */
export const LIMITS_DOWN_RETRY_AFTER_SECONDS = 5;

/** One-time codes: 6 digits, 10 minutes, 5 tries. */
export const CODE_TTL_SECONDS = 10 * 60;
export const CODE_MAX_ATTEMPTS = 5;
/** TOTP: accept the previous and next 30 s step for clock drift; a used code is refused for this long. */
export const TOTP_EPOCH_TOLERANCE_SECONDS = 30;
export const TOTP_REPLAY_WINDOW_SECONDS = 120;
export const BACKUP_CODE_COUNT = 10;

export type Identifier = { email: string; phone?: undefined } | { phone: string; email?: undefined };

/** The account part of a limiter key: a digest of the normalised identifier. */
export function accountKey(identifier: Identifier): string {
  return sha256(identifier.email !== undefined ? `email:${identifier.email.toLowerCase()}` : `phone:${identifier.phone}`);
}

/** The Redis key of an account lock (exported for tests that fast-forward a lock's expiry). */
export function lockKey(prefix: string, account: string): string {
  return `${prefix}:identity:lock:${account}`;
}

export function rateLimited(retryAfterSeconds: number, code: "RATE_LIMITED" | "ACCOUNT_LOCKED" = "RATE_LIMITED"): DomainError {
  const message =
    code === "ACCOUNT_LOCKED"
      ? `Too many failed sign-ins; the account is locked for ${retryAfterSeconds} s`
      : `Too many attempts; try again in ${retryAfterSeconds} s`;
  return tooManyRequests(code, message, { retryAfterSeconds });
}

export interface Limits {
  /** Counts one attempt against `rule`; throws 429 RATE_LIMITED once it is exceeded, 503 when it cannot count. */
  enforce(key: string, rule: Rule): Promise<void>;
  /** Throws 429 ACCOUNT_LOCKED while the account is locked, 503 when it cannot tell. */
  assertNotLocked(account: string): Promise<void>;
  /** Counts a failed login; the LOGIN_FAILURES_BEFORE_LOCK-th within the window locks the account. */
  loginFailed(account: string): Promise<void>;
  /** A successful login (or password reset) clears the failure count and any lock. */
  loginSucceeded(account: string): Promise<void>;
  /** Remembers a used TOTP code; false when it was already used (a replay); 503 when it cannot tell. */
  claimTotp(userId: string, token: string): Promise<boolean>;
}

/** 503 TEMPORARILY_UNAVAILABLE: the attempt cannot be counted, so it is not made. */
function limitsUnavailable(): DomainError {
  return unavailable("TEMPORARILY_UNAVAILABLE", `Attempts cannot be counted right now; try again in ${LIMITS_DOWN_RETRY_AFTER_SECONDS} s`, {
    retryAfterSeconds: LIMITS_DOWN_RETRY_AFTER_SECONDS,
  });
}

/**
 * The limits fail closed: while Redis is unreachable (its commands fail fast) the checks before an
 * attempt answer 503 TEMPORARILY_UNAVAILABLE, since an uncounted attempt is an unlimited one
 * (password guessing, code guessing, message flooding). Only the bookkeeping after an attempt's
 * outcome (counting a failure, clearing the count) is best effort: by then the outcome stands.
 * The platform's general limit makes the opposite choice (docs/decisions.md).
 */
export function createLimits(deps: { attempts: AttemptLimiter; redis: Redis; prefix: string; log: Logger }): Limits {
  const { attempts, redis, prefix, log } = deps;
  const failKey = (account: string) => `login:fail:${account}`;
  async function checked<T>(what: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (error instanceof DomainError) throw error;
      log.warn({ err: error }, `identity limiter unavailable (${what}); refusing`);
      throw limitsUnavailable();
    }
  }
  async function bestEffort(what: string, work: () => Promise<void>): Promise<void> {
    try {
      await work();
    } catch (error) {
      log.warn({ err: error }, `identity limiter unavailable (${what}); not recorded`);
    }
  }
  return {
    enforce: (key, rule) =>
      checked("enforce", async () => {
        const result = await attempts.hit(key, rule.limit, rule.windowSeconds);
        if (!result.allowed) throw rateLimited(result.retryAfterSeconds);
      }),
    assertNotLocked: (account) =>
      checked("lock", async () => {
        const ttl = await redis.ttl(lockKey(prefix, account));
        if (ttl > 0) throw rateLimited(ttl, "ACCOUNT_LOCKED");
      }),
    loginFailed: (account) =>
      bestEffort("failure", async () => {
        const result = await attempts.hit(failKey(account), LOGIN_FAILURES_BEFORE_LOCK - 1, LOGIN_FAILURE_WINDOW_SECONDS);
        if (result.allowed) return;
        await redis.set(lockKey(prefix, account), "1", "EX", ACCOUNT_LOCK_SECONDS);
        await attempts.reset(failKey(account));
      }),
    loginSucceeded: (account) =>
      bestEffort("success", async () => {
        await attempts.reset(failKey(account));
        await redis.del(lockKey(prefix, account));
      }),
    claimTotp: (userId, token) =>
      checked("totp replay", async () => {
        const set = await redis.set(`${prefix}:identity:totp-used:${userId}:${token}`, "1", "EX", TOTP_REPLAY_WINDOW_SECONDS, "NX");
        return set === "OK";
      }),
  };
}
