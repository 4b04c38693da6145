/**
 * One-time codes (account verification, password reset): 6 random digits, stored as a SHA-256
 * digest, valid for CODE_TTL_SECONDS, at most CODE_MAX_ATTEMPTS tries. Issuing a code retires the
 * older live codes of the same purpose. Tries are counted by one conditional UPDATE, so racing
 * requests can neither exceed the budget nor consume one code twice.
 */
import { randomInt, timingSafeEqual } from "node:crypto";
import type { EntityManager } from "@mikro-orm/postgresql";
import { type DomainError, unprocessable } from "../../platform/errors";
import { OneTimeCode, type CodePurpose } from "./code.entity";
import { CODE_MAX_ATTEMPTS, CODE_TTL_SECONDS } from "./limits";
import { sha256 } from "./tokens";
import type { UserAccount } from "./user.entity";

const codeHash = (userId: string, code: string) => sha256(`${userId}:${code}`);

export const codeInvalid = (remainingAttempts?: number) =>
  remainingAttempts === undefined
    ? unprocessable("CODE_INVALID")
    : unprocessable("CODE_INVALID", `The code is wrong; ${remainingAttempts} ${remainingAttempts === 1 ? "try" : "tries"} left`, { remainingAttempts });
const codeExpired = () => unprocessable("CODE_EXPIRED");
const codeExhausted = () =>
  unprocessable("CODE_EXHAUSTED", `The code was tried ${CODE_MAX_ATTEMPTS} times and no longer works; request a new one`);

/**
 * Issues a new code inside the caller's transaction and returns it in clear (for the outbox
 * message only; it is never logged or audited). The user row lock serialises concurrent issues,
 * so at most one code per purpose is live.
 */
export async function issueCode(tx: EntityManager, user: UserAccount, purpose: CodePurpose): Promise<string> {
  await tx.execute("select id from user_account where id = ? for update", [user.id]);
  await tx.execute("update one_time_code set consumed_at = now() where user_id = ? and purpose = ? and consumed_at is null", [
    user.id,
    purpose,
  ]);
  const code = String(randomInt(0, 1_000_000)).padStart(6, "0");
  tx.create(OneTimeCode, {
    user,
    purpose,
    codeHash: codeHash(user.id, code),
    expiresAt: new Date(Date.now() + CODE_TTL_SECONDS * 1000),
  });
  return code;
}

interface CountedRow {
  id: string;
  code_hash: string;
  attempts: number;
}

/**
 * Spends one try of the user's live code and checks it. Runs outside any transaction on purpose:
 * a wrong try must stay counted even though the request then fails. Returns the code's id when it
 * matches; the caller then consumes it with `consumeCode` in the transaction of its effect.
 */
export async function checkCode(em: EntityManager, userId: string, purpose: CodePurpose, code: string): Promise<string> {
  const counted = await em.execute<CountedRow[]>(
    `update one_time_code set attempts = attempts + 1
      where id = (select id from one_time_code
                   where user_id = ? and purpose = ? and consumed_at is null
                   order by created_at desc limit 1)
        and consumed_at is null and attempts < ? and expires_at > now()
      returning id, code_hash, attempts`,
    [userId, purpose, CODE_MAX_ATTEMPTS],
  );
  const row = counted[0];
  if (!row) throw await whyNoLiveCode(em, userId, purpose);
  const given = Buffer.from(codeHash(userId, code));
  if (timingSafeEqual(given, Buffer.from(row.code_hash))) return row.id;
  const remaining = CODE_MAX_ATTEMPTS - row.attempts;
  throw remaining <= 0 ? codeExhausted() : codeInvalid(remaining);
}

async function whyNoLiveCode(em: EntityManager, userId: string, purpose: CodePurpose): Promise<DomainError> {
  const [latest] = await em.execute<{ attempts: number; consumed: boolean; expired: boolean }[]>(
    `select attempts, consumed_at is not null as consumed, expires_at <= now() as expired from one_time_code
      where user_id = ? and purpose = ? order by created_at desc limit 1`,
    [userId, purpose],
  );
  if (!latest || latest.consumed) return codeInvalid();
  if (latest.attempts >= CODE_MAX_ATTEMPTS) return codeExhausted();
  if (latest.expired) return codeExpired();
  return codeInvalid();
}

/** Marks a checked code used, in the transaction of its effect; a code consumed meanwhile is refused. */
export async function consumeCode(tx: EntityManager, codeId: string): Promise<void> {
  const rows = await tx.execute<{ id: string }[]>(
    "update one_time_code set consumed_at = now() where id = ? and consumed_at is null returning id",
    [codeId],
  );
  if (rows.length === 0) throw codeInvalid();
}
