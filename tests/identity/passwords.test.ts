import { describe, expect, it } from "vitest";
import { loginResponseSchema } from "@clinic/shared";
import { readJson, useTestApp } from "../support/harness";
import { latestCode, query } from "../support/db";
import { bearer, clientOf, expectProblem, freshEmail, PASSWORD, registerUser, signedInUser } from "./support";

const NEW_PASSWORD = "an entirely new passphrase";

describe("passwords", () => {
  const app = useTestApp();

  it("resets the password with an emailed code and ends every session", async () => {
    const client = clientOf(app);
    const first = await signedInUser(app, client);
    const second = await readJson(await client.post("/auth/login", { ...first.login, password: PASSWORD }), loginResponseSchema);

    expect((await client.post("/auth/password/forgot", first.login)).status).toBe(202);
    const [message] = await query<{ channel: string; payload: { code: string } }>(
      app,
      "select channel, payload from notification_outbox where user_id = ? and template = 'identity.reset-code'",
      [first.userId],
    );
    expect(message?.channel).toBe("email");
    const code = await latestCode(app, first.login.email, "identity.reset-code");
    // A verification code is not a reset code.
    await expectProblem(
      await client.post("/auth/password/reset", { ...first.login, code: await latestCode(app, first.login.email), newPassword: NEW_PASSWORD }),
      422,
      "CODE_INVALID",
    );

    expect((await client.post("/auth/password/reset", { ...first.login, code, newPassword: NEW_PASSWORD })).status).toBe(204);
    for (const session of [first, second]) {
      await expectProblem(await client.get("/me", bearer(session.accessToken)), 401, "UNAUTHENTICATED");
      await expectProblem(await client.post("/auth/refresh", { refreshToken: session.refreshToken }), 401, "INVALID_REFRESH_TOKEN");
    }
    const reasons = await query<{ revoked_reason: string }>(app, "select revoked_reason from auth_session where user_id = ?", [first.userId]);
    expect(reasons.map((row) => row.revoked_reason)).toEqual(["password_reset", "password_reset"]);
    const [user] = await query<{ changed: boolean }>(app, "select password_changed_at is not null as changed from user_account where id = ?", [first.userId]);
    expect(user?.changed).toBe(true);

    await expectProblem(await client.post("/auth/login", { ...first.login, password: PASSWORD }), 401, "INVALID_CREDENTIALS");
    expect((await client.post("/auth/login", { ...first.login, password: NEW_PASSWORD })).status).toBe(200);
    // The code is used up.
    await expectProblem(await client.post("/auth/password/reset", { ...first.login, code, newPassword: PASSWORD }), 422, "CODE_INVALID");
    const [audit] = await query<{ n: number }>(app, "select count(*)::int as n from audit_event where action = 'password.reset' and entity_id = ?", [first.userId]);
    expect(audit?.n).toBe(1);
  });

  it("answers forgot with 202 for unknown accounts and sends nothing", async () => {
    const email = freshEmail("ghost");
    expect((await clientOf(app).post("/auth/password/forgot", { email })).status).toBe(202);
    expect(await query(app, "select 1 from notification_outbox where recipient = ?", [email])).toHaveLength(0);
  });

  it("lets a reset code verify an unverified account", async () => {
    const client = clientOf(app);
    const { login } = await registerUser(app, client);
    expect((await client.post("/auth/password/forgot", login)).status).toBe(202);
    const code = await latestCode(app, login.email, "identity.reset-code");
    expect((await client.post("/auth/password/reset", { ...login, code, newPassword: NEW_PASSWORD })).status).toBe(204);
    expect((await client.post("/auth/login", { ...login, password: NEW_PASSWORD })).status).toBe(200);
  });

  it("changes the password, keeping only the current session", async () => {
    const client = clientOf(app);
    const current = await signedInUser(app, client);
    const other = await readJson(await client.post("/auth/login", { ...current.login, password: PASSWORD }), loginResponseSchema);

    await expectProblem(
      await client.post("/auth/password/change", { currentPassword: "not it", newPassword: NEW_PASSWORD }, bearer(current.accessToken)),
      403,
      "INVALID_CURRENT_PASSWORD",
    );
    expect((await client.get("/me", bearer(other.accessToken))).status).toBe(200);

    const changed = await client.post("/auth/password/change", { currentPassword: PASSWORD, newPassword: NEW_PASSWORD }, bearer(current.accessToken));
    expect(changed.status).toBe(204);
    expect((await client.get("/me", bearer(current.accessToken))).status).toBe(200);
    expect((await client.post("/auth/refresh", { refreshToken: current.refreshToken })).status).toBe(200);
    await expectProblem(await client.get("/me", bearer(other.accessToken)), 401, "UNAUTHENTICATED");
    await expectProblem(await client.post("/auth/refresh", { refreshToken: other.refreshToken }), 401, "INVALID_REFRESH_TOKEN");
    expect((await client.post("/auth/login", { ...current.login, password: NEW_PASSWORD })).status).toBe(200);
    const [audit] = await query<{ n: number }>(app, "select count(*)::int as n from audit_event where action = 'password.change' and actor_id = ?", [current.userId]);
    expect(audit?.n).toBe(1);
  });
});
