/** One write = one transaction with its audit event; unique-constraint races become 409s. */
import { UniqueConstraintViolationException } from "@mikro-orm/core";
import type { EntityManager } from "@mikro-orm/postgresql";
import { isConnectionLoss, pauseBeforeRetry } from "./db";
import { DomainError } from "./errors";

/**
 * Runs `work` in one transaction. When the database connection is lost before COMMIT was sent,
 * PostgreSQL has rolled the transaction back, so `work` runs once more on a fresh connection; a
 * connection lost during COMMIT leaves the outcome unknown, so that is not retried (the caller
 * answers 503). `work` must touch nothing but `tx`, which every caller's does.
 */
export async function writeTransaction<T>(
  em: EntityManager,
  work: (tx: EntityManager) => Promise<T>,
  onDuplicate?: () => DomainError,
): Promise<T> {
  let committing = false;
  const attempt = (options: { clear?: boolean } = {}) =>
    em.transactional(async (tx) => {
      const result = await work(tx);
      // What is left to flush is flushed here, so that only COMMIT remains after this point.
      await tx.flush();
      committing = true;
      return result;
    }, options);
  try {
    try {
      return await attempt();
    } catch (error) {
      if (committing || !isConnectionLoss(error)) throw error;
      await pauseBeforeRetry();
      // An empty identity map: entities the failed attempt changed in memory are read again.
      return await attempt({ clear: true });
    }
  } catch (error) {
    if (onDuplicate && error instanceof UniqueConstraintViolationException) throw onDuplicate();
    throw error;
  }
}

/**
 * For idempotent writes (PUT): when a concurrent twin inserted the same row first, run once more,
 * which then finds the row and answers as if it had been there all along.
 */
export async function idempotent<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof DomainError && error.code === "CONCURRENT_CHANGE") return work();
    throw error;
  }
}
