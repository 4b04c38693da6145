import type { EntitySchema } from "@mikro-orm/core";
import { MikroORM, PostgreSqlDriver } from "@mikro-orm/postgresql";
import { Migrator } from "@mikro-orm/migrations";
import type { Logger } from "pino";
import { migrationsList } from "../migrations";
import { AuditEventSchema } from "./audit.entity";
import { DomainEventSchema } from "./outbox";

export type Orm = MikroORM;

/** The platform's own tables: the audit trail and the domain event outbox. */
const PLATFORM_ENTITIES = [AuditEventSchema, DomainEventSchema];

/** The ORM over the platform's tables and the modules' (`entities`: every module's, from the module list). */
export function createOrm(databaseUrl: string, options: { entities: EntitySchema[]; poolMax?: number; migrationsPath?: string }) {
  return MikroORM.init({
    driver: PostgreSqlDriver,
    clientUrl: databaseUrl,
    entities: [...PLATFORM_ENTITIES, ...options.entities],
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
