/**
 * Idempotent writes: the same user + key + route + body gets the first answer again; the same key
 * with another body is refused (422). The record is written in the transaction of the write, so a
 * concurrent twin blocks on the primary key until the first commits, then replays its answer.
 */
import { createHash } from "node:crypto";
import type { EntityManager } from "@mikro-orm/postgresql";
import { unprocessable } from "../../platform/errors";

export interface IdempotencyContext {
  userId: string;
  key: string;
  route: string;
  requestHash: string;
}

export interface StoredAnswer {
  status: number;
  body: unknown;
}

/** Canonical JSON (sorted keys) so that key order does not change the hash. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
  }
  return JSON.stringify(value ?? null);
}

export function idempotencyContext(userId: string, key: string | undefined, route: string, body: unknown): IdempotencyContext | null {
  if (!key) return null;
  const requestHash = createHash("sha256").update(`${route}\n${canonical(body)}`).digest("hex");
  return { userId, key, route, requestHash };
}

/** The stored answer for this key, or null; 422 IDEMPOTENCY_KEY_REUSED when it was for another request. */
export async function storedAnswer(em: EntityManager, ctx: IdempotencyContext): Promise<StoredAnswer | null> {
  const [row] = await em.execute<{ route: string; request_hash: string; response_status: number; response_body: unknown }[]>(
    `select route, request_hash, response_status, response_body from idempotency_record where user_id = ? and key = ?`,
    [ctx.userId, ctx.key],
  );
  if (!row) return null;
  if (row.route !== ctx.route || row.request_hash !== ctx.requestHash) {
    throw unprocessable("IDEMPOTENCY_KEY_REUSED");
  }
  return { status: row.response_status, body: row.response_body };
}

/**
 * Claims the key inside `tx` (first statement of the write). A twin that claimed it first makes this
 * wait until it commits (then false: replay its answer) or rolls back (then true: go ahead).
 */
export async function claimKey(tx: EntityManager, ctx: IdempotencyContext): Promise<boolean> {
  const rows = await tx.execute<{ key: string }[]>(
    `insert into idempotency_record (user_id, key, route, request_hash, response_status, response_body, created_at)
     values (?, ?, ?, ?, 0, 'null'::jsonb, now()) on conflict do nothing returning key`,
    [ctx.userId, ctx.key, ctx.route, ctx.requestHash],
  );
  return rows.length === 1;
}

export async function storeAnswer(tx: EntityManager, ctx: IdempotencyContext, answer: StoredAnswer): Promise<void> {
  await tx.execute(`update idempotency_record set response_status = ?, response_body = ?::jsonb where user_id = ? and key = ?`, [
    answer.status,
    JSON.stringify(answer.body),
    ctx.userId,
    ctx.key,
  ]);
}

/** Thrown inside a write transaction when a twin already answered: roll back, then replay. */
export class AlreadyAnswered extends Error {
  constructor() {
    super("idempotency key already answered");
  }
}

/** The key's row was inserted by a twin that committed first (a one-statement write's unique violation). */
export const isIdempotencyConflict = (error: unknown) => (error as { constraint?: string }).constraint === "idempotency_record_pkey";
