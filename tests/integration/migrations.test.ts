import { spawnSync } from "node:child_process";
import { afterAll, describe, expect, it } from "vitest";
import { createClinicOrm as createOrm } from "../../server/src/app";
import { migrate, type Orm } from "../../server/src/platform/db";
import { migrateWithLock } from "../../server/src/platform/migrate";
import { createTestDatabase } from "../support/harness";

describe("migrations", () => {
  const orms: Orm[] = [];
  afterAll(async () => {
    await Promise.all(orms.map((orm) => orm.close()));
  });

  async function emptyDatabase() {
    const { url } = await createTestDatabase({ migrated: false });
    const orm = await createOrm(url, { poolMax: 3 });
    orms.push(orm);
    return { url, orm };
  }

  it("apply to an empty database, creating the extensions and tables", async () => {
    const { orm } = await emptyDatabase();
    const applied = await migrate(orm);
    expect(applied.length).toBeGreaterThan(0);

    const connection = orm.em.getConnection();
    const extensions = await connection.execute<{ extname: string }[]>("select extname from pg_extension");
    expect(extensions.map((row) => row.extname)).toEqual(expect.arrayContaining(["btree_gist", "citext"]));
    const tables = await connection.execute<{ tablename: string }[]>(
      "select tablename from pg_tables where schemaname = 'public'",
    );
    expect(tables.map((row) => row.tablename)).toEqual(expect.arrayContaining(["clinic", "user_account"]));
  });

  it("are idempotent: a second run applies nothing and changes nothing", async () => {
    const { orm } = await emptyDatabase();
    await migrate(orm);
    const executed = await orm.migrator.getExecuted();
    expect(await migrate(orm)).toEqual([]);
    expect(await orm.migrator.getExecuted()).toEqual(executed);
    expect(await orm.migrator.getPending()).toEqual([]);
  });

  it("run once when several nodes start together", async () => {
    const { url, orm } = await emptyDatabase();
    const other = await createOrm(url, { poolMax: 3 });
    orms.push(other);
    const [first, second] = await Promise.all([migrateWithLock(orm, url), migrateWithLock(other, url)]);
    const total = await orm.migrator.getPending();
    expect(total).toEqual([]);
    // One node applied everything, the other found nothing left to do.
    expect([first.length, second.length].sort()).toEqual([0, (await orm.migrator.getExecuted()).length]);
  });

  it("npm run db:migrate applies them, and the entities match what they build (no drift)", async () => {
    const { url } = await createTestDatabase({ migrated: false });
    const cli = (...args: string[]) =>
      spawnSync(process.execPath, ["--import", "tsx", "server/src/cli/migrate.ts", ...args], {
        env: { ...process.env, DATABASE_URL: url },
        encoding: "utf8",
        timeout: 30_000,
      });
    const up = cli("up");
    expect(up.stderr).toBe("");
    expect(up.stdout).toMatch(/^Applied: Migration\d+_platform/);
    expect(cli("up").stdout).toContain("Nothing to apply");
    // `create` diffs the entity metadata against the migrated schema: any drift would write a file.
    const create = cli("create", "drift_check");
    expect(create.stdout).toContain("No schema changes");
  });
});
