import { describe, expect, it } from "vitest";
import { useTestApp } from "../support/harness";
import { latestCode, query } from "../support/db";
import { clientOf, expectProblem, freshEmail, registerUser } from "./support";

/** A 6-digit code that is not `code`. */
const wrongCodeFor = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, "0");

describe("one-time codes", () => {
  const app = useTestApp();

  const attemptsOf = async (userId: string) =>
    (await query<{ attempts: number }>(app, "select attempts from one_time_code where user_id = ? order by created_at desc limit 1", [userId]))[0]
      ?.attempts;

  it("counts wrong tries, tells how many are left, and dies after five", async () => {
    const client = clientOf(app);
    const { userId, login } = await registerUser(app, client);
    const code = await latestCode(app, login.email);
    const wrong = wrongCodeFor(code);
    for (let left = 4; left >= 1; left--) {
      const body = await expectProblem(await client.post("/auth/verify", { ...login, code: wrong }), 422, "CODE_INVALID");
      expect(body.remainingAttempts).toBe(left);
    }
    await expectProblem(await client.post("/auth/verify", { ...login, code: wrong }), 422, "CODE_EXHAUSTED");
    // Even the right code no longer works; a new one is needed.
    const dead = await expectProblem(await client.post("/auth/verify", { ...login, code }), 422, "CODE_EXHAUSTED");
    expect(dead.detail).toMatch(/request a new one/);
    expect(await attemptsOf(userId)).toBe(5);

    expect((await client.post("/auth/verify/resend", login)).status).toBe(202);
    const fresh = await latestCode(app, login.email);
    expect((await client.post("/auth/verify", { ...login, code: fresh })).status).toBe(200);
  });

  it("refuses an expired code", async () => {
    const client = clientOf(app);
    const { userId, login } = await registerUser(app, client);
    const code = await latestCode(app, login.email);
    await query(app, "update one_time_code set expires_at = now() - interval '1 second' where user_id = ?", [userId]);
    await expectProblem(await client.post("/auth/verify", { ...login, code }), 422, "CODE_EXPIRED");
    const [user] = await query<{ verified: boolean }>(app, "select email_verified_at is not null as verified from user_account where id = ?", [userId]);
    expect(user?.verified).toBe(false);
  });

  it("retires older codes when a new one is issued, and a used code cannot be used again", async () => {
    const client = clientOf(app);
    const { userId, login } = await registerUser(app, client);
    const first = await latestCode(app, login.email);
    expect((await client.post("/auth/verify/resend", login)).status).toBe(202);
    const second = await latestCode(app, login.email);
    const live = await query(app, "select 1 from one_time_code where user_id = ? and consumed_at is null", [userId]);
    expect(live).toHaveLength(1);
    if (first !== second) await expectProblem(await client.post("/auth/verify", { ...login, code: first }), 422, "CODE_INVALID");
    expect((await client.post("/auth/verify", { ...login, code: second })).status).toBe(200);
    await expectProblem(await client.post("/auth/verify", { ...login, code: second }), 422, "CODE_INVALID");
  });

  it("consumes a code once when two verifications race", async () => {
    const client = clientOf(app);
    const { userId, login } = await registerUser(app, client);
    const code = await latestCode(app, login.email);
    const replies = await Promise.all(Array.from({ length: 4 }, () => client.post("/auth/verify", { ...login, code })));
    expect(replies.map((reply) => reply.status).sort()).toEqual([200, 422, 422, 422]);
    const audits = await query(app, "select 1 from audit_event where action = 'user.verify' and entity_id = ?", [userId]);
    expect(audits).toHaveLength(1);
  });

  it("never lets racing wrong tries exceed the five-try budget", async () => {
    const client = clientOf(app);
    const { userId, login } = await registerUser(app, client);
    const code = await latestCode(app, login.email);
    const wrong = wrongCodeFor(code);
    const replies = await Promise.all(Array.from({ length: 12 }, () => client.post("/auth/verify", { ...login, code: wrong })));
    const codes = await Promise.all(replies.map(async (reply) => ((await reply.json()) as { code: string }).code));
    expect(codes.filter((c) => c === "CODE_INVALID")).toHaveLength(4);
    expect(codes.filter((c) => c === "CODE_EXHAUSTED")).toHaveLength(8);
    expect(await attemptsOf(userId)).toBe(5);
    await expectProblem(await client.post("/auth/verify", { ...login, code }), 422, "CODE_EXHAUSTED");
  });

  it("answers resend with 202 for unknown accounts too, and sends nothing", async () => {
    const email = freshEmail("ghost");
    const reply = await clientOf(app).post("/auth/verify/resend", { email });
    expect(reply.status).toBe(202);
    expect(await reply.json()).toEqual({ accepted: true });
    expect(await query(app, "select 1 from notification_outbox where recipient = ?", [email])).toHaveLength(0);
    await expectProblem(await clientOf(app).post("/auth/verify", { email, code: "123456" }), 422, "CODE_INVALID");
  });

  it("limits code checks per account, whatever the address", async () => {
    const { login } = await registerUser(app, clientOf(app));
    const code = await latestCode(app, login.email);
    const wrong = wrongCodeFor(code);
    const statuses: number[] = [];
    // 15 checks per account per hour; each from a different address.
    for (let i = 0; i < 15; i++) statuses.push((await clientOf(app).post("/auth/verify", { ...login, code: wrong })).status);
    expect(statuses.every((status) => status === 422)).toBe(true);
    const limited = await clientOf(app).post("/auth/verify", { ...login, code });
    const body = await expectProblem(limited, 429, "RATE_LIMITED");
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(body.retryAfterSeconds).toBeGreaterThan(0);
  });
});
