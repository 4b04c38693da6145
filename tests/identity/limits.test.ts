import { describe, expect, it } from "vitest";
import { useTestApp } from "../support/harness";
import { clientOf, expectProblem, freshEmail, PASSWORD, registerUser, verifyUser } from "./support";
import { accountKey, lockKey } from "../../server/src/modules/identity/limits";

describe("rate limits and lockout", () => {
  const app = useTestApp();

  async function verifiedAccount() {
    const client = clientOf(app);
    const { login } = await registerUser(app, client);
    await verifyUser(app, client, login);
    return login;
  }

  it("locks an account after five failed sign-ins, from any address, with Retry-After", async () => {
    const login = await verifiedAccount();
    for (let i = 0; i < 5; i++) {
      await expectProblem(await clientOf(app).post("/auth/login", { ...login, password: "wrong password" }), 401, "INVALID_CREDENTIALS");
    }
    // Locked: even the right password is refused, from a fresh address too.
    const locked = await clientOf(app).post("/auth/login", { ...login, password: PASSWORD });
    const body = await expectProblem(locked, 429, "ACCOUNT_LOCKED");
    const retryAfter = Number(locked.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThan(14 * 60);
    expect(retryAfter).toBeLessThanOrEqual(15 * 60);
    expect(body.retryAfterSeconds).toBe(retryAfter);

    // When the lock runs out (fast-forwarded here), the right password works again.
    await app.runtime.redis.pexpire(lockKey(app.runtime.config.redis.prefix, accountKey(login)), 1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect((await clientOf(app).post("/auth/login", { ...login, password: PASSWORD })).status).toBe(200);
  });

  it("resets the failure count on a successful sign-in", async () => {
    const login = await verifiedAccount();
    const client = clientOf(app);
    const fail = () => client.post("/auth/login", { ...login, password: "wrong password" });
    for (let i = 0; i < 4; i++) expect((await fail()).status).toBe(401);
    expect((await client.post("/auth/login", { ...login, password: PASSWORD })).status).toBe(200);
    for (let i = 0; i < 4; i++) expect((await fail()).status).toBe(401);
    // Eight failures in all, but never five in a row: not locked.
    expect((await client.post("/auth/login", { ...login, password: PASSWORD })).status).toBe(200);
  });

  it("locks unknown accounts the same way, so a lock reveals nothing", async () => {
    const login = { email: freshEmail("nobody") };
    for (let i = 0; i < 5; i++) expect((await clientOf(app).post("/auth/login", { ...login, password: "guess" })).status).toBe(401);
    await expectProblem(await clientOf(app).post("/auth/login", { ...login, password: "guess" }), 429, "ACCOUNT_LOCKED");
  });

  it("limits sign-in attempts per address", async () => {
    const client = clientOf(app);
    const statuses: number[] = [];
    // 20 per minute per address, whichever accounts they name.
    for (let i = 0; i < 20; i++) statuses.push((await client.post("/auth/login", { email: freshEmail("spray"), password: "guess" })).status);
    expect(statuses.every((status) => status === 401)).toBe(true);
    const limited = await client.post("/auth/login", { email: freshEmail("spray"), password: "guess" });
    await expectProblem(limited, 429, "RATE_LIMITED");
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    // Another address is unaffected.
    await expectProblem(await clientOf(app).post("/auth/login", { email: freshEmail("spray"), password: "guess" }), 401, "INVALID_CREDENTIALS");
  });

  it("limits registrations per address", async () => {
    const client = clientOf(app);
    for (let i = 0; i < 10; i++) await registerUser(app, client);
    const limited = await client.post("/auth/register", { email: freshEmail(), password: PASSWORD, name: "One Too Many", role: "patient" });
    await expectProblem(limited, 429, "RATE_LIMITED");
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(50 * 60);
    expect((await clientOf(app).post("/auth/register", { email: freshEmail(), password: PASSWORD, name: "Elsewhere", role: "patient" })).status).toBe(201);
  });

  it("limits password reset requests per account, answering 202 until then", async () => {
    const login = await verifiedAccount();
    for (let i = 0; i < 5; i++) expect((await clientOf(app).post("/auth/password/forgot", login)).status).toBe(202);
    const limited = await clientOf(app).post("/auth/password/forgot", login);
    await expectProblem(limited, 429, "RATE_LIMITED");
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
  });
});
