/**
 * Named prepared statements for the hot paths (docs/performance.md, issue #18).
 *
 * `em.execute` inlines every parameter into the SQL text, so PostgreSQL parses and plans each call
 * afresh; on the booking and queue paths planning cost more than executing. A statement declared
 * here is sent by name with `$n` parameters: each pooled connection parses it once, and after a
 * few executions PostgreSQL may keep a generic plan. It runs on the EntityManager's transaction
 * when there is one (so it commits with the rest), else on a pooled connection in autocommit.
 *
 * MikroORM 7 has no API for this, so the statement goes through the same kysely client MikroORM
 * uses, with the `pg` query config (`{name, text}`) in place of the SQL string: kysely's
 * PostgreSQL connection hands it to `pg`'s `client.query(config, values)` unchanged.
 */
import type { EntityManager, Kysely } from "@mikro-orm/postgresql";
import { isConnectionLoss, pauseBeforeRetry } from "./db";

export interface Statement<Row> {
  readonly name: string;
  readonly text: string;
  /** Phantom: the row type the statement returns. */
  readonly row?: Row;
}

const declared = new Map<string, string>();

/** Declares a statement once per process (a name with two texts is a programming error). */
export function prepared<Row>(name: string, text: string): Statement<Row> {
  const existing = declared.get(name);
  if (existing !== undefined && existing !== text) throw new Error(`prepared statement ${name} declared twice with different SQL`);
  declared.set(name, text);
  return { name, text };
}

type CompiledQuery = Parameters<Kysely<unknown>["executeQuery"]>[0];

function compiled(statement: Statement<unknown>, values: readonly unknown[]): CompiledQuery {
  return {
    // kysely passes `sql` straight to pg's client.query as its first argument (a query config).
    sql: { name: statement.name, text: statement.text } as unknown as string,
    parameters: values,
    query: { kind: "RawNode", sqlFragments: [statement.text], parameters: [] },
    queryId: { queryId: statement.name },
  } as unknown as CompiledQuery;
}

/**
 * Runs `statement` with `values` ($1, $2 … in order) and returns its rows. Outside a transaction a
 * read (a statement starting with `select`) whose connection was lost runs once more on a fresh one, as
 * the platform's connection does for `em.execute` (platform/db.ts).
 */
export async function runPrepared<Row>(em: EntityManager, statement: Statement<Row>, values: readonly unknown[]): Promise<Row[]> {
  const transaction = em.getTransactionContext<Kysely<unknown>>();
  const executor = transaction ?? em.getConnection().getClient<unknown>();
  const run = async () => (await executor.executeQuery<Row>(compiled(statement, values))).rows as Row[];
  try {
    return await run();
  } catch (error) {
    if (transaction || !isConnectionLoss(error) || !/^\s*select\b/i.test(statement.text)) throw error;
    await pauseBeforeRetry();
    return run();
  }
}
