/**
 * `npm run db:migrate` applies pending migrations; `npm run db:migration:create -- <name>` writes a
 * new one from the difference between the entities and the database. Uses DATABASE_URL, or the
 * embedded PostgreSQL of `npm start` when it is unset.
 */
import pino from "pino";
import { ConfigError, loadConfig } from "../config";
import { createClinicOrm } from "../app";
import { ensureServices } from "../platform/embedded";
import { migrateWithLock } from "../platform/migrate";

const MIGRATIONS_DIR = "server/src/migrations";

async function run(command: string | undefined, name: string | undefined): Promise<string> {
  const config = loadConfig();
  const services = await ensureServices(config, pino({ level: "warn" }), { redis: false });
  const { databaseUrl } = services;
  const orm = await createClinicOrm(databaseUrl, { poolMax: 2, migrationsPath: MIGRATIONS_DIR });
  try {
    if (command === "up") {
      const applied = await migrateWithLock(orm, databaseUrl);
      return applied.length ? `Applied: ${applied.join(", ")}` : "Nothing to apply: the schema is current.";
    }
    if (command === "create") {
      await migrateWithLock(orm, databaseUrl);
      const result = await orm.migrator.create(MIGRATIONS_DIR, false, false, name);
      if (!result.fileName) return "No schema changes: the entities match the database.";
      return `Wrote ${MIGRATIONS_DIR}/${result.fileName}. Add it to ${MIGRATIONS_DIR}/index.ts, review the SQL, then run npm run db:migrate.`;
    }
    throw new ConfigError([{ setting: "command", message: "expected `up` or `create <name>`" }]);
  } finally {
    await orm.close();
    await services.stopAll();
  }
}

run(process.argv[2], process.argv[3]).then(
  (message) => process.stdout.write(`${message}\n`),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
