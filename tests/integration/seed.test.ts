import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOrm, type Orm } from "../../server/src/platform/db";
import { verifyPassword } from "../../server/src/modules/identity/password";
import { UserAccount } from "../../server/src/modules/identity/user.entity";
import { Clinic } from "../../server/src/modules/directory/clinic.entity";
import { DEMO_PASSWORD, demoAccounts, seedDemo } from "../../server/src/seed/demo";
import { createTestDatabase } from "../support/harness";

describe("demo seed", () => {
  let orm: Orm;
  beforeAll(async () => {
    orm = await createOrm((await createTestDatabase()).url, { poolMax: 5 });
  });
  afterAll(() => orm.close());

  it("creates the pinned demo clinic and logins once, even when two nodes seed at the same time", async () => {
    const results = await Promise.all([
      seedDemo(orm.em.fork(), { production: false }),
      seedDemo(orm.em.fork(), { production: false }),
    ]);
    expect(results.map((result) => result.created).sort((x, y) => x - y)).toEqual([0, demoAccounts.length + 1]);

    const em = orm.em.fork();
    const clinic = await em.findOneOrFail(Clinic, { slug: "demo" });
    expect(clinic.timeZone).toBe("Europe/London");
    const users = await em.find(UserAccount, {}, { orderBy: { email: "asc" } });
    expect(users).toHaveLength(26);
    expect(users.filter((user) => user.role === "patient")).toHaveLength(20);
    expect(users.filter((user) => user.role === "doctor").map((user) => user.email).sort()).toEqual([
      "dr.das@demo.clinic",
      "dr.roy@demo.clinic",
      "dr.sen@demo.clinic",
    ]);
  });

  it("is idempotent", async () => {
    expect(await seedDemo(orm.em.fork(), { production: false })).toEqual({ created: 0 });
    expect(await orm.em.fork().count(UserAccount)).toBe(26);
  });

  it("stores argon2id hashes that verify only the demo password", async () => {
    const user = await orm.em.fork().findOneOrFail(UserAccount, { email: "RECEPTION@demo.clinic" });
    expect(user.passwordHash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(await verifyPassword(DEMO_PASSWORD, user.passwordHash)).toBe(true);
    expect(await verifyPassword("demo1234?", user.passwordHash)).toBe(false);
  });

  it("is refused in production", async () => {
    await expect(seedDemo(orm.em.fork(), { production: true })).rejects.toThrow(/refused/);
  });
});
