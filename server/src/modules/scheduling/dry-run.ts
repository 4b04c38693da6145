/**
 * Dry runs of writes that have no separate planner (template apply, clone, import): the real write
 * runs in its transaction with every check, and a dry run throws its result out of the transaction,
 * so PostgreSQL rolls everything back (slots, rules, audit) and the caller still gets the reply.
 * Ids in a dry run's reply were never committed.
 */
class DryRunRollback<T> extends Error {
  constructor(readonly value: T) {
    super("dry run: rolled back");
  }
}

/** Call at the end of the transaction: returns the value, or rolls the transaction back in a dry run. */
export function finishOrRollBack<T>(dryRun: boolean, value: T): T {
  if (dryRun) throw new DryRunRollback(value);
  return value;
}

/** Wraps the transaction: a dry run's rollback comes back as its value. */
export async function withDryRun<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof DryRunRollback) return error.value as T;
    throw error;
  }
}
