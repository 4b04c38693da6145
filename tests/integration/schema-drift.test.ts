/**
 * The entities and the migrations describe the same schema: on a freshly migrated database the ORM
 * finds nothing to change. A column or index declared on one side only fails here, not in production.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClinicOrm as createOrm } from "../../server/src/app";
import type { Orm } from "../../server/src/platform/db";
import { createTestDatabase } from "../support/harness";

describe("schema", () => {
  let orm: Orm;
  beforeAll(async () => {
    orm = await createOrm((await createTestDatabase()).url, { poolMax: 2 });
  });
  afterAll(async () => orm?.close());

  it("the migrations leave nothing for the entities to change", async () => {
    const sql = await orm.schema.getUpdateSchemaSQL({ wrap: false });
    expect(sql.trim()).toBe("");
  });
});
