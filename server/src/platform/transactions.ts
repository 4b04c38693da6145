/** One write = one transaction with its audit event; unique-constraint races become 409s. */
import { UniqueConstraintViolationException } from "@mikro-orm/core";
import type { EntityManager } from "@mikro-orm/postgresql";
import { DomainError } from "./errors";

export async function writeTransaction<T>(
  em: EntityManager,
  work: (tx: EntityManager) => Promise<T>,
  onDuplicate?: () => DomainError,
): Promise<T> {
  try {
    return await em.transactional(work);
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
