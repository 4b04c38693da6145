import { describe, expect, it } from "vitest";
import { useTestApp } from "../support/harness";
import { query } from "../support/db";
import { bearer, clientOf, expectProblem, freshEmail, PASSWORD, signedInUser } from "./support";

describe("bad input to the identity routes", () => {
  const app = useTestApp();

  const rowCount = async () =>
    (
      await query<{ n: number }>(
        app,
        `select (select count(*) from user_account) + (select count(*) from patient) + (select count(*) from doctor)
              + (select count(*) from one_time_code) + (select count(*) from notification_outbox)
              + (select count(*) from audit_event) + (select count(*) from auth_session) as n`,
      )
    )[0]?.n;

  it("names the field for every rejected registration and writes nothing", async () => {
    const client = clientOf(app);
    const ok = { email: freshEmail(), password: PASSWORD, name: "Valid Name", role: "patient" };
    const cases: [unknown, string[]][] = [
      [{ ...ok, email: undefined }, ["body.email"]],
      [{ ...ok, phone: "+447700900123" }, ["body.phone"]],
      [{ ...ok, password: undefined }, ["body.password"]],
      [{ ...ok, password: "short" }, ["body.password"]],
      [{ ...ok, password: "x".repeat(129) }, ["body.password"]],
      [{ ...ok, name: "x".repeat(121) }, ["body.name"]],
      [{ ...ok, name: 42 }, ["body.name"]],
      [{ ...ok, email: "not-an-email" }, ["body.email"]],
      [{ ...ok, email: `${"x".repeat(250)}@example.com` }, ["body.email"]],
      [{ email: freshEmail(), password: PASSWORD, role: "patient" }, ["body.name"]],
      [{ ...ok, role: "platform_admin" }, ["body.role"]],
      [{ ...ok, isAdmin: true }, ["body.isAdmin"]],
      [{ phone: "07700 900123", password: PASSWORD, name: "Bad Phone" }, ["body.phone"]],
    ];
    const before = await rowCount();
    for (const [input, fields] of cases) {
      const body = await expectProblem(await client.post("/auth/register", input), 400, "VALIDATION_FAILED");
      expect({ input, fields: body.errors?.map((error) => error.field) }).toEqual({ input, fields });
    }
    await expectProblem(await client.post("/auth/register", "{not json"), 400, "MALFORMED_BODY");
    expect(await rowCount()).toBe(before);
  });

  it("validates the other public routes the same way", async () => {
    const client = clientOf(app);
    const email = freshEmail();
    const cases: [string, unknown, string[]][] = [
      ["/auth/login", { password: PASSWORD }, ["body.email"]],
      ["/auth/login", { email, phone: "+447700900123", password: PASSWORD }, ["body.phone"]],
      ["/auth/login", { email, password: 12345678 }, ["body.password"]],
      ["/auth/login", { email, password: PASSWORD, totp: "1" }, ["body.totp"]],
      ["/auth/login", { email, password: PASSWORD, remember: true }, ["body.remember"]],
      ["/auth/verify", { email, code: "12345" }, ["body.code"]],
      ["/auth/verify", { email, code: "abcdef" }, ["body.code"]],
      ["/auth/verify", { code: "123456" }, ["body.email"]],
      ["/auth/verify/resend", {}, ["body.email"]],
      ["/auth/refresh", {}, ["body.refreshToken"]],
      ["/auth/refresh", { refreshToken: "x".repeat(201) }, ["body.refreshToken"]],
      ["/auth/password/forgot", { email, phone: "+447700900123" }, ["body.phone"]],
      ["/auth/password/reset", { email, code: "123456", newPassword: "short" }, ["body.newPassword"]],
      ["/auth/password/reset", { email, newPassword: PASSWORD }, ["body.code"]],
    ];
    const before = await rowCount();
    for (const [path, input, fields] of cases) {
      const body = await expectProblem(await client.post(path, input), 400, "VALIDATION_FAILED");
      expect({ path, fields: body.errors?.map((error) => error.field) }).toEqual({ path, fields });
    }
    expect(await rowCount()).toBe(before);
  });

  it("validates signed-in routes and path parameters", async () => {
    const client = clientOf(app);
    const user = await signedInUser(app, client);
    const before = await rowCount();
    const auth = bearer(user.accessToken);
    let body = await expectProblem(await client.post("/auth/password/change", { currentPassword: PASSWORD }, auth), 400, "VALIDATION_FAILED");
    expect(body.errors?.map((error) => error.field)).toEqual(["body.newPassword"]);
    body = await expectProblem(await client.post("/auth/totp/enable", { code: 123456 }, auth), 400, "VALIDATION_FAILED");
    expect(body.errors?.map((error) => error.field)).toEqual(["body.code"]);
    body = await expectProblem(await client.del("/auth/sessions/not-a-uuid", auth), 400, "VALIDATION_FAILED");
    expect(body.errors?.map((error) => error.field)).toEqual(["params.id"]);
    expect(await rowCount()).toBe(before);
  });
});
