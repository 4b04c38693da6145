import { describe, expect, it } from "vitest";
import {
  loginResponseSchema,
  sessionListSchema,
  tokenPairSchema,
  userSchema,
} from "@clinic/shared";
import { readJson, useTestApp } from "../support/harness";
import { buildClinic, buildPerson } from "../support/factories";
import { latestCode, query } from "../support/db";
import { bearer, clientOf, expectProblem, freshEmail, freshPhone, PASSWORD, registerUser, signedInUser, verifyUser } from "./support";

describe("accounts and sessions", () => {
  const app = useTestApp();

  it("registers, verifies, signs in, refreshes and signs out", async () => {
    const client = clientOf(app);
    const email = freshEmail("flow");

    const registered = await client.post("/auth/register", { email, password: PASSWORD, name: "Asha Patel", role: "patient" });
    expect(registered.status).toBe(201);
    const { userId, verification } = (await registered.json()) as { userId: string; verification: string };
    expect(verification).toBe("sent");

    // One transaction wrote the account, the patient profile, the code, the message and the audit event.
    const [user] = await query<{ status: string; email_verified_at: string | null; password_hash: string }>(
      app,
      "select status, email_verified_at, password_hash from user_account where id = ?",
      [userId],
    );
    expect(user).toMatchObject({ status: "active", email_verified_at: null });
    expect(user?.password_hash).toMatch(/^\$argon2id\$/);
    const [patient] = await query<{ subscription_tier: string }>(app, "select subscription_tier from patient where user_id = ?", [userId]);
    expect(patient).toEqual({ subscription_tier: "none" });
    const messages = await query<{ channel: string; template: string; payload: { code: string; name: string } }>(
      app,
      "select channel, template, payload from notification_outbox where user_id = ?",
      [userId],
    );
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({ channel: "email", template: "identity.verify-code", payload: { name: "Asha Patel" } });
    expect(messages[0]?.payload.code).toMatch(/^\d{6}$/);
    const [code] = await query<{ code_hash: string }>(app, "select code_hash from one_time_code where user_id = ?", [userId]);
    expect(code?.code_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(code?.code_hash).not.toContain(messages[0]?.payload.code);

    // Unverified accounts may not sign in.
    await expectProblem(await client.post("/auth/login", { email, password: PASSWORD }), 403, "ACCOUNT_UNVERIFIED");

    const verified = await client.post("/auth/verify", { email, code: await latestCode(app, email) });
    expect(verified.status).toBe(200);
    expect(await verified.json()).toEqual({ verified: true });

    const loggedIn = await client.post("/auth/login", { email: email.toUpperCase(), password: PASSWORD });
    expect(loggedIn.status).toBe(200);
    const session = await readJson(loggedIn, loginResponseSchema);
    expect(session.expiresIn).toBe(900);
    expect(session.user).toMatchObject({
      id: userId,
      email,
      role: "patient",
      displayName: "Asha Patel",
      doctorId: null,
      memberships: [],
      onboarding: { verified: true, profileComplete: false, twoFactorEnabled: false },
    });
    expect(session.user.patientId).not.toBeNull();
    const [refreshId] = session.refreshToken.split(".");
    const [stored] = await query<{ token_hash: string }>(app, "select token_hash from refresh_token where id = ?", [refreshId]);
    expect(stored?.token_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(session.refreshToken).not.toContain(stored?.token_hash);

    const me = await client.get("/me", bearer(session.accessToken));
    expect(me.status).toBe(200);
    expect(await readJson(me, userSchema)).toEqual(session.user);

    const refreshed = await client.post("/auth/refresh", { refreshToken: session.refreshToken });
    expect(refreshed.status).toBe(200);
    const pair = await readJson(refreshed, tokenPairSchema);
    expect(pair.refreshToken).not.toBe(session.refreshToken);
    expect((await client.get("/me", bearer(pair.accessToken))).status).toBe(200);

    const out = await client.post("/auth/logout", undefined, bearer(pair.accessToken));
    expect(out.status).toBe(204);
    // Both access tokens of the session stop working at once, and so does its refresh token.
    await expectProblem(await client.get("/me", bearer(pair.accessToken)), 401, "UNAUTHENTICATED");
    await expectProblem(await client.get("/me", bearer(session.accessToken)), 401, "UNAUTHENTICATED");
    await expectProblem(await client.post("/auth/refresh", { refreshToken: pair.refreshToken }), 401, "INVALID_REFRESH_TOKEN");

    const actions = await query<{ action: string; actor_id: string | null }>(
      app,
      "select action, actor_id from audit_event where entity_id = ? or actor_id = ? order by id",
      [userId, userId],
    );
    expect(actions.map((a) => a.action)).toEqual(["user.register", "user.verify", "session.login", "session.logout"]);
    expect(actions.every((a) => a.actor_id === userId)).toBe(true);
    // No password, code or token ever reaches the audit log.
    const [dump] = await query<{ text: string }>(app, "select coalesce(string_agg(row_to_json(a)::text, ' '), '') as text from audit_event a");
    for (const secret of [PASSWORD, messages[0]?.payload.code ?? "", session.refreshToken.split(".")[1] ?? "", pair.accessToken]) {
      expect(dump?.text).not.toContain(secret);
    }
  });

  it("answers GET /me without a token with 401 problem+json", async () => {
    await expectProblem(await clientOf(app).get("/me"), 401, "UNAUTHENTICATED");
    await expectProblem(await clientOf(app).get("/me", bearer("not.a.token")), 401, "UNAUTHENTICATED");
  });

  it("registers a doctor by phone with a pending profile and an SMS code", async () => {
    const client = clientOf(app);
    const phone = freshPhone();
    const { userId, login } = await registerUser(app, client, { phone, role: "doctor" });
    const [doctor] = await query<{ approval_status: string }>(app, "select approval_status from doctor where user_id = ?", [userId]);
    expect(doctor?.approval_status).toBe("pending");
    expect(await query(app, "select 1 from patient where user_id = ?", [userId])).toHaveLength(0);
    const [message] = await query<{ channel: string }>(app, "select channel from notification_outbox where user_id = ?", [userId]);
    expect(message?.channel).toBe("sms");
    await verifyUser(app, client, login);
    const [user] = await query<{ verified: boolean }>(app, "select phone_verified_at is not null as verified from user_account where id = ?", [userId]);
    expect(user?.verified).toBe(true);
    const session = await readJson(await client.post("/auth/login", { phone, password: PASSWORD }), loginResponseSchema);
    expect(session.user).toMatchObject({ role: "doctor", phone, email: null, patientId: null });
    expect(session.user.doctorId).not.toBeNull();
    expect(session.user.onboarding.profileComplete).toBe(false);
  });

  it("refuses a second account with the same email (any case) and writes nothing", async () => {
    const client = clientOf(app);
    const email = freshEmail("dup");
    await registerUser(app, client, { email });
    const count = async () =>
      (await query<{ n: number }>(app, "select (select count(*) from user_account)::int + (select count(*) from notification_outbox)::int + (select count(*) from audit_event)::int + (select count(*) from patient)::int as n"))[0]?.n;
    const before = await count();
    const again = await client.post("/auth/register", { email: email.toUpperCase(), password: PASSWORD, name: "Twin", role: "doctor" });
    await expectProblem(again, 409, "ACCOUNT_EXISTS");
    expect(await count()).toBe(before);
  });

  it("refuses deactivated accounts and accepts only the same answer for unknown accounts and wrong passwords", async () => {
    const client = clientOf(app);
    const { userId, login } = await registerUser(app, client);
    await verifyUser(app, client, login);
    const unknown = await expectProblem(await client.post("/auth/login", { email: freshEmail(), password: PASSWORD }), 401, "INVALID_CREDENTIALS");
    const wrong = await expectProblem(await client.post("/auth/login", { ...login, password: "not the password" }), 401, "INVALID_CREDENTIALS");
    expect(unknown.detail).toBe(wrong.detail);
    await query(app, "update user_account set status = 'deactivated' where id = ?", [userId]);
    await expectProblem(await client.post("/auth/login", { ...login, password: PASSWORD }), 403, "ACCOUNT_DEACTIVATED");
  });

  it("lists sessions with the current one marked, and revokes only your own", async () => {
    const client = clientOf(app);
    const first = await signedInUser(app, client);
    const second = await readJson(await client.post("/auth/login", { ...first.login, password: PASSWORD }), loginResponseSchema);
    const other = await signedInUser(app, clientOf(app));

    const listed = await readJson(await client.get("/auth/sessions", bearer(second.accessToken)), sessionListSchema);
    expect(listed.items).toHaveLength(2);
    expect(listed.items.filter((s) => s.current)).toHaveLength(1);
    const current = listed.items.find((s) => s.current)!;
    const firstSession = listed.items.find((s) => !s.current)!;
    expect(current).toMatchObject({ ip: client.ip, userAgent: "identity-tests/1.0" });

    // Someone else's session is invisible: 404, and it keeps working.
    const otherSessions = await readJson(await clientOf(app).get("/auth/sessions", bearer(other.accessToken)), sessionListSchema);
    await expectProblem(await client.del(`/auth/sessions/${otherSessions.items[0]!.id}`, bearer(second.accessToken)), 404, "NOT_FOUND");
    expect((await client.get("/me", bearer(other.accessToken))).status).toBe(200);

    expect((await client.del(`/auth/sessions/${firstSession.id}`, bearer(second.accessToken))).status).toBe(204);
    await expectProblem(await client.get("/me", bearer(first.accessToken)), 401, "UNAUTHENTICATED");
    expect((await client.get("/me", bearer(second.accessToken))).status).toBe(200);
    await expectProblem(await client.del(`/auth/sessions/${firstSession.id}`, bearer(second.accessToken)), 404, "NOT_FOUND");
  });

  it("ends every session with logout-all", async () => {
    const client = clientOf(app);
    const first = await signedInUser(app, client);
    const second = await readJson(await client.post("/auth/login", { ...first.login, password: PASSWORD }), loginResponseSchema);
    expect((await client.post("/auth/logout-all", undefined, bearer(first.accessToken))).status).toBe(204);
    for (const token of [first.accessToken, second.accessToken]) {
      await expectProblem(await client.get("/me", bearer(token)), 401, "UNAUTHENTICATED");
    }
    await expectProblem(await client.post("/auth/refresh", { refreshToken: second.refreshToken }), 401, "INVALID_REFRESH_TOKEN");
    const [audit] = await query<{ action: string }>(app, "select action from audit_event where entity_id = ? order by id desc limit 1", [first.userId]);
    expect(audit?.action).toBe("session.revoke_all");
  });

  it("requires sign-in for session and password routes", async () => {
    const client = clientOf(app);
    await expectProblem(await client.post("/auth/logout"), 401, "UNAUTHENTICATED");
    await expectProblem(await client.post("/auth/logout-all"), 401, "UNAUTHENTICATED");
    await expectProblem(await client.get("/auth/sessions"), 401, "UNAUTHENTICATED");
    await expectProblem(await client.post("/auth/totp/setup"), 401, "UNAUTHENTICATED");
    await expectProblem(await client.post("/auth/password/change", { currentPassword: "x", newPassword: "long enough" }), 401, "UNAUTHENTICATED");
  });

  it("builds /me with memberships and onboarding for staff", async () => {
    const clinic = await buildClinic(app);
    const person = await buildPerson(app, "receptionist", { clinicIds: [clinic.id] });
    const me = await readJson(await clientOf(app).get("/me", person.headers), userSchema);
    expect(me).toMatchObject({ role: "receptionist", memberships: [{ clinicId: clinic.id, role: "receptionist" }], onboarding: { verified: true, profileComplete: true, twoFactorEnabled: false } });
  });
});
