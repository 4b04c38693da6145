import { describe, expect, it } from "vitest";
import { tokenPairSchema } from "@clinic/shared";
import { readJson, useTestApp } from "../support/harness";
import { query } from "../support/db";
import { bearer, clientOf, expectProblem, signedInUser } from "./support";

describe("refresh-token rotation", () => {
  const app = useTestApp();

  it("revokes the whole session when a used token comes back", async () => {
    const client = clientOf(app);
    const session = await signedInUser(app, client);
    const second = await readJson(await client.post("/auth/refresh", { refreshToken: session.refreshToken }), tokenPairSchema);
    const third = await readJson(await client.post("/auth/refresh", { refreshToken: second.refreshToken }), tokenPairSchema);

    // The first token, already rotated, is presented again: theft.
    await expectProblem(await client.post("/auth/refresh", { refreshToken: session.refreshToken }), 401, "REFRESH_TOKEN_REUSED");
    // Now even the newest token of the family fails, and so does its access token.
    await expectProblem(await client.post("/auth/refresh", { refreshToken: third.refreshToken }), 401, "INVALID_REFRESH_TOKEN");
    await expectProblem(await client.get("/me", bearer(third.accessToken)), 401, "UNAUTHENTICATED");

    const [sessionRow] = await query<{ revoked_reason: string | null }>(
      app,
      "select revoked_reason from auth_session where user_id = ?",
      [session.userId],
    );
    expect(sessionRow?.revoked_reason).toBe("refresh_token_reuse");
    const audit = await query<{ action: string }>(app, "select action from audit_event where action = 'session.reuse_detected' and actor_id = ?", [
      session.userId,
    ]);
    expect(audit).toHaveLength(1);
  });

  it("lets exactly one of two simultaneous presentations of a token through", async () => {
    const client = clientOf(app);
    const session = await signedInUser(app, client);
    const replies = await Promise.all([0, 1].map(() => client.post("/auth/refresh", { refreshToken: session.refreshToken })));
    const statuses = replies.map((reply) => reply.status).sort();
    expect(statuses).toEqual([200, 401]);
    const loser = replies.find((reply) => reply.status === 401)!;
    await expectProblem(loser, 401, "REFRESH_TOKEN_REUSED");
    const [used] = await query<{ n: number }>(
      app,
      "select count(*)::int as n from refresh_token rt join auth_session s on s.id = rt.session_id where s.user_id = ? and rt.used_at is not null",
      [session.userId],
    );
    expect(used?.n).toBe(1);
  });

  it("bumps lastUsedAt and keeps the session on rotation", async () => {
    const client = clientOf(app);
    const session = await signedInUser(app, client);
    const [before] = await query<{ id: string; last_used_at: string }>(app, "select id, last_used_at from auth_session where user_id = ?", [session.userId]);
    const pair = await readJson(await client.post("/auth/refresh", { refreshToken: session.refreshToken }), tokenPairSchema);
    const rows = await query<{ id: string; last_used_at: string }>(app, "select id, last_used_at from auth_session where user_id = ?", [session.userId]);
    expect(rows).toHaveLength(1);
    expect(rows[0]?.id).toBe(before?.id);
    expect(new Date(rows[0]!.last_used_at).getTime()).toBeGreaterThan(new Date(before!.last_used_at).getTime());
    const [newId] = pair.refreshToken.split(".");
    const [tokenRow] = await query<{ session_id: string }>(app, "select session_id from refresh_token where id = ?", [newId]);
    expect(tokenRow?.session_id).toBe(before?.id);
  });

  it("refuses unknown, forged, expired and malformed tokens", async () => {
    const client = clientOf(app);
    const session = await signedInUser(app, client);
    const [id] = session.refreshToken.split(".");
    for (const refreshToken of [`${id}.forged-secret-forged-secret`, `${crypto.randomUUID()}.whatever-secret`, "no-dot-in-this-token", `not-a-uuid.secret-here`]) {
      await expectProblem(await client.post("/auth/refresh", { refreshToken }), 401, "INVALID_REFRESH_TOKEN");
    }
    // A forged secret is not a reuse: the real token still works.
    expect((await client.post("/auth/refresh", { refreshToken: session.refreshToken })).status).toBe(200);

    const other = await signedInUser(app, client);
    await query(app, "update auth_session set expires_at = now() - interval '1 second' where user_id = ?", [other.userId]);
    await expectProblem(await client.post("/auth/refresh", { refreshToken: other.refreshToken }), 401, "INVALID_REFRESH_TOKEN");
  });
});
