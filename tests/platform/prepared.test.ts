/**
 * Named prepared statements (platform/prepared.ts) on real PostgreSQL: sent by name (the server
 * keeps them per connection), typed parameters, part of the EntityManager's transaction when there
 * is one, autocommit otherwise, and database errors reach the caller with their SQLSTATE.
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClinicOrm } from "../../server/src/app";
import type { Orm } from "../../server/src/platform/db";
import { prepared, runPrepared } from "../../server/src/platform/prepared";
import { createTestDatabase } from "../support/harness";

const echo = prepared<{ n: number; label: string }>("test_prepared_echo", `select $1::int + 1 as n, $2::text as label`);
const mark = prepared<{ id: string }>("test_prepared_mark", `insert into prepared_probe (id) values ($1) returning id`);
const names = `select name from pg_prepared_statements where name like 'test_prepared_%' order by name`;

describe("prepared statements", () => {
  let orm: Orm;
  const em = () => orm.em.fork() as unknown as EntityManager;

  beforeAll(async () => {
    orm = await createClinicOrm((await createTestDatabase()).url, { poolMax: 1 });
    await em().execute(`create table prepared_probe (id text primary key)`);
  });
  afterAll(() => orm.close());

  it("sends the statement by name with its parameters; the connection keeps it prepared", async () => {
    expect(await runPrepared(em(), echo, [41, "it's"])).toEqual([{ n: 42, label: "it's" }]);
    // One pooled connection: the statement the last call prepared is still there.
    const rows = await em().execute<{ name: string }[]>(names);
    expect(rows.map((row) => row.name)).toEqual(["test_prepared_echo"]);
  });

  it("commits and rolls back with the EntityManager's transaction", async () => {
    await em().transactional(async (tx) => {
      await runPrepared(tx as unknown as EntityManager, mark, ["kept"]);
    });
    await expect(
      em().transactional(async (tx) => {
        await runPrepared(tx as unknown as EntityManager, mark, ["undone"]);
        throw new Error("roll back");
      }),
    ).rejects.toThrow("roll back");
    const rows = await em().execute<{ id: string }[]>(`select id from prepared_probe order by id`);
    expect(rows.map((row) => row.id)).toEqual(["kept"]);
  });

  it("reports a database error with its SQLSTATE", async () => {
    await expect(runPrepared(em(), mark, ["kept"])).rejects.toMatchObject({ code: "23505" });
  });

  it("refuses one name declared with two texts", () => {
    expect(() => prepared("test_prepared_echo", `select 1`)).toThrow(/declared twice/);
  });
});
