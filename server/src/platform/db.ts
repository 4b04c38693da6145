import { MikroORM, PostgreSqlDriver } from "@mikro-orm/postgresql";
import { Migrator } from "@mikro-orm/migrations";
import type { Logger } from "pino";
import { entities } from "../modules/entities";
import { migrationsList } from "../migrations";

export type Orm = MikroORM;

export function createOrm(databaseUrl: string, options: { poolMax?: number; migrationsPath?: string } = {}) {
  return MikroORM.init({
    driver: PostgreSqlDriver,
    clientUrl: databaseUrl,
    entities,
    extensions: [Migrator],
    pool: { min: 0, max: options.poolMax ?? 20 },
    // Schema changes only ever come from migrations, never from runtime auto-sync.
    ensureDatabase: false,
    allowGlobalContext: false,
    debug: false,
    migrations: {
      migrationsList,
      path: options.migrationsPath ?? "server/src/migrations",
      pathTs: options.migrationsPath ?? "server/src/migrations",
      emit: "ts",
      snapshot: false,
      snapshotOnMigrate: false,
      silent: true,
      transactional: true,
      allOrNothing: true,
    },
  });
}

/** Applies pending migrations; returns the names applied (empty when the schema is current). */
export async function migrate(orm: Orm, log?: Logger): Promise<string[]> {
  const applied = await orm.migrator.up();
  const names = applied.map((migration) => migration.name);
  if (names.length > 0) log?.info({ migrations: names }, "applied migrations");
  return names;
}
