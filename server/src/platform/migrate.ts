import pg from "pg";
import type { Logger } from "pino";
import { migrate, type Orm } from "./db";

// Any constant works; every node must use the same one.
const MIGRATION_LOCK_KEY = 7_220_000;

/**
 * Runs pending migrations while holding a session-level advisory lock on its own connection, so
 * several nodes starting at once apply each migration exactly once (the others wait, then find
 * nothing pending).
 */
export async function migrateWithLock(orm: Orm, databaseUrl: string, log?: Logger): Promise<string[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query("select pg_advisory_lock($1)", [MIGRATION_LOCK_KEY]);
    return await migrate(orm, log);
  } finally {
    await client.query("select pg_advisory_unlock($1)", [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await client.end();
  }
}
