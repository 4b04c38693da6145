import { describe, expect, it } from "vitest";
import { generate } from "otplib";
import { loginResponseSchema, totpEnableResponseSchema, totpSetupResponseSchema, userSchema } from "@clinic/shared";
import { readJson, useTestApp } from "../support/harness";
import { buildPerson, TEST_PASSWORD } from "../support/factories";
import { query } from "../support/db";
import { bearer, type Client, clientOf, expectProblem, PASSWORD, signedInUser } from "./support";

describe("two-factor sign-in (TOTP)", () => {
  const app = useTestApp();

  async function enrol(client: Client, accessToken: string) {
    const setup = await readJson(await client.post("/auth/totp/setup", undefined, bearer(accessToken)), totpSetupResponseSchema);
    const enabled = await client.post("/auth/totp/enable", { code: await generate({ secret: setup.secret }) }, bearer(accessToken));
    expect(enabled.status).toBe(200);
    const { backupCodes } = await readJson(enabled, totpEnableResponseSchema);
    return { secret: setup.secret, otpauthUri: setup.otpauthUri, backupCodes };
  }

  it("enrols, then requires a valid code at sign-in", async () => {
    const client = clientOf(app);
    const user = await signedInUser(app, client);
    const setup = await readJson(await client.post("/auth/totp/setup", undefined, bearer(user.accessToken)), totpSetupResponseSchema);
    expect(setup.otpauthUri).toMatch(/^otpauth:\/\/totp\/Clinic%20Live:/);
    expect(setup.otpauthUri).toContain(encodeURIComponent(user.login.email));
    expect(setup.otpauthUri).toContain(`secret=${setup.secret}`);

    // Not enabled until confirmed: sign-in still works without a code.
    expect((await client.post("/auth/login", { ...user.login, password: PASSWORD })).status).toBe(200);
    await expectProblem(await client.post("/auth/totp/enable", { code: "000000" }, bearer(user.accessToken)), 422, "TOTP_INVALID");

    const enabled = await client.post("/auth/totp/enable", { code: await generate({ secret: setup.secret }) }, bearer(user.accessToken));
    const { backupCodes } = await readJson(enabled, totpEnableResponseSchema);
    expect(backupCodes).toHaveLength(10);
    for (const code of backupCodes) expect(code).toMatch(/^[a-z]{4}-[a-z]{4}-[a-z]{4}$/);
    expect(new Set(backupCodes).size).toBe(10);
    const stored = await query<{ code_hash: string }>(app, "select code_hash from totp_backup_code where user_id = ?", [user.userId]);
    expect(stored).toHaveLength(10);
    expect(stored.map((row) => row.code_hash)).not.toContain(backupCodes[0]);
    await expectProblem(await client.post("/auth/totp/enable", { code: await generate({ secret: setup.secret }) }, bearer(user.accessToken)), 409, "TOTP_ALREADY_ENABLED");

    await expectProblem(await client.post("/auth/login", { ...user.login, password: PASSWORD }), 401, "TOTP_REQUIRED");
    await expectProblem(await client.post("/auth/login", { ...user.login, password: PASSWORD, totp: "000000" }), 401, "TOTP_INVALID");
    const code = await generate({ secret: setup.secret });
    const signedIn = await client.post("/auth/login", { ...user.login, password: PASSWORD, totp: code });
    expect(signedIn.status).toBe(200);
    const session = await readJson(signedIn, loginResponseSchema);
    expect(session.user.onboarding.twoFactorEnabled).toBe(true);
    // A code is good for one sign-in only.
    await expectProblem(await client.post("/auth/login", { ...user.login, password: PASSWORD, totp: code }), 401, "TOTP_INVALID");

    const actions = await query<{ action: string }>(app, "select action from audit_event where entity_id = ? and action like 'totp.%' order by id", [user.userId]);
    expect(actions.map((row) => row.action)).toEqual(["totp.setup", "totp.enable"]);
  });

  it("accepts each backup code once", async () => {
    const client = clientOf(app);
    const user = await signedInUser(app, client);
    const { backupCodes } = await enrol(client, user.accessToken);
    const [first, second] = backupCodes as [string, string];
    const login = (totp: string) => client.post("/auth/login", { ...user.login, password: PASSWORD, totp });
    expect((await login(first)).status).toBe(200);
    await expectProblem(await login(first), 401, "TOTP_INVALID");
    // Case and separators do not matter.
    expect((await login(second.toUpperCase().replaceAll("-", " "))).status).toBe(200);
    const [used] = await query<{ n: number }>(app, "select count(*)::int as n from totp_backup_code where user_id = ? and used_at is not null", [user.userId]);
    expect(used?.n).toBe(2);
  });

  it("lets a patient turn two-factor off with a code", async () => {
    const client = clientOf(app);
    const user = await signedInUser(app, client);
    const { secret } = await enrol(client, user.accessToken);
    await expectProblem(await client.post("/auth/totp/disable", { code: "000000" }, bearer(user.accessToken)), 422, "TOTP_INVALID");
    expect((await client.post("/auth/totp/disable", { code: await generate({ secret }) }, bearer(user.accessToken))).status).toBe(204);
    expect(await query(app, "select 1 from totp_backup_code where user_id = ?", [user.userId])).toHaveLength(0);
    const me = await readJson(await client.get("/me", bearer(user.accessToken)), userSchema);
    expect(me.onboarding.twoFactorEnabled).toBe(false);
    expect((await client.post("/auth/login", { ...user.login, password: PASSWORD })).status).toBe(200);
  });

  it("keeps two-factor on for staff and admins", async () => {
    for (const role of ["receptionist", "clinic_admin", "platform_admin"] as const) {
      const client = clientOf(app);
      const person = await buildPerson(app, role);
      const { secret } = await enrol(client, person.token);
      const refused = await client.post("/auth/totp/disable", { code: await generate({ secret }) }, person.headers);
      await expectProblem(refused, 403, "TOTP_REQUIRED_FOR_ROLE");
      const [row] = await query<{ on: boolean }>(app, "select totp_enabled_at is not null as on from user_account where id = ?", [person.user.id]);
      expect(row?.on).toBe(true);
      // And sign-in requires it.
      await expectProblem(await client.post("/auth/login", { email: person.user.email, password: TEST_PASSWORD }), 401, "TOTP_REQUIRED");
    }
  });

  it("counts wrong codes towards the account lock", async () => {
    const client = clientOf(app);
    const user = await signedInUser(app, client);
    await enrol(client, user.accessToken);
    for (let i = 0; i < 5; i++) {
      await expectProblem(await client.post("/auth/login", { ...user.login, password: PASSWORD, totp: "abcd-abcd-abcd" }), 401, "TOTP_INVALID");
    }
    await expectProblem(await client.post("/auth/login", { ...user.login, password: PASSWORD, totp: "abcd-abcd-abcd" }), 429, "ACCOUNT_LOCKED");
  });
});
