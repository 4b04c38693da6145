/**
 * Sign-in in a real browser: a wrong password shows the server's problem message, the right one
 * lands on the role-aware shell whose live indicator reaches "live" over the socket (`me` topic),
 * and it stays signed in across a reload. With two-factor on, the code field appears when the server
 * asks; staff see the display preview in their navigation.
 */
import { generate } from "otplib";
import { describe, expect, it } from "vitest";
import { totpEnableResponseSchema, totpSetupResponseSchema } from "@clinic/shared";
import { readJson } from "../support/harness";
import { buildMiddayClinic, buildPerson, TEST_PASSWORD } from "../support/factories";
import { screenshot, useBrowserStage } from "../support/browser";

describe("sign-in (browser)", () => {
  const stage = useBrowserStage();

  it("signs a patient in and shows the live indicator as live", async () => {
    const patient = await buildPerson(stage.app, "patient");
    const context = await stage.browser.newContext({ viewport: { width: 390, height: 844 } });
    const page = await context.newPage();
    await page.goto(`${stage.app.url}/`);
    // Signed out: the app sends the visitor to the sign-in page.
    await page.getByRole("heading", { name: "Sign in" }).waitFor();
    expect(new URL(page.url()).pathname).toBe("/sign-in");
    await screenshot(page, "sign-in");

    await page.getByLabel("Email").fill(patient.user.email!);
    await page.getByLabel("Password").fill("not the password");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("alert").waitFor();
    expect(await page.getByRole("alert").textContent()).toMatch(/\S/);
    expect(new URL(page.url()).pathname).toBe("/sign-in");

    await page.getByLabel("Password").fill(TEST_PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: `Welcome, ${patient.user.displayName}` }).waitFor();
    const indicator = page.locator(".live-indicator");
    await page.locator(".live-indicator[data-status=live]").waitFor({ timeout: 10_000 });
    expect(await indicator.textContent()).toContain("Live");
    // A patient's navigation has no staff screens.
    expect(await page.getByRole("navigation", { name: "Main" }).textContent()).not.toContain("Waiting-room display");
    await screenshot(page, "home-patient");

    await page.reload();
    await page.locator(".live-indicator[data-status=live]").waitFor({ timeout: 10_000 });
    expect(new URL(page.url()).pathname).toBe("/");
    await context.close();
  });

  it("asks for the authenticator code when two-factor is on, and staff can preview the display", async () => {
    const clinicId = (await buildMiddayClinic(stage.app)).id;
    const reception = await buildPerson(stage.app, "receptionist", { clinicIds: [clinicId] });
    const post = (path: string, body?: unknown) =>
      fetch(`${stage.app.url}/api/v1${path}`, {
        method: "POST",
        headers: { authorization: `Bearer ${reception.token}`, ...(body ? { "content-type": "application/json" } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
    const setup = await readJson(await post("/auth/totp/setup"), totpSetupResponseSchema);
    const enabled = await readJson(await post("/auth/totp/enable", { code: await generate({ secret: setup.secret }) }), totpEnableResponseSchema);

    const context = await stage.browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await page.goto(`${stage.app.url}/sign-in`);
    await page.getByLabel("Email").fill(reception.user.email!);
    await page.getByLabel("Password").fill(TEST_PASSWORD);
    expect(await page.getByLabel("Authenticator code").count()).toBe(0);
    await page.getByRole("button", { name: "Sign in" }).click();
    const codeField = page.getByLabel("Authenticator code");
    await codeField.waitFor();
    await expect.poll(() => codeField.evaluate((element) => element.matches(":focus"))).toBe(true);
    await screenshot(page, "sign-in-totp");
    // A backup code is accepted in the same field (and cannot collide with the enrolment's TOTP step).
    await codeField.fill(enabled.backupCodes[0]!);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.locator(".live-indicator[data-status=live]").waitFor({ timeout: 10_000 });

    await page.getByRole("link", { name: "Waiting-room display", exact: true }).click();
    expect(new URL(page.url()).pathname).toBe("/display");
    await page.locator(".live-indicator[data-status=live]").waitFor({ timeout: 10_000 });
    await page.getByTestId("check-in-code").waitFor();
    await context.close();
  });

  it("refreshes the session when the access token has expired or is refused", async () => {
    const patient = await buildPerson(stage.app, "patient");
    const context = await stage.browser.newContext();
    const page = await context.newPage();
    await page.goto(`${stage.app.url}/sign-in`);
    await page.getByLabel("Email").fill(patient.user.email!);
    await page.getByLabel("Password").fill(TEST_PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.locator(".live-indicator[data-status=live]").waitFor({ timeout: 10_000 });

    const KEY = "clinic-live.session";
    const stored = () => page.evaluate((key) => JSON.parse(localStorage.getItem(key) ?? "null") as { accessToken: string; refreshToken: string; expiresAt: number } | null, KEY);
    const spoil = (expiresAt: number) =>
      page.evaluate(
        ([key, at]) => {
          const session = JSON.parse(localStorage.getItem(key as string)!);
          localStorage.setItem(key as string, JSON.stringify({ ...session, accessToken: "not-a-token", expiresAt: at }));
        },
        [KEY, expiresAt] as const,
      );

    for (const expiresAt of [Date.now() - 1_000, Date.now() + 3_600_000]) {
      // Past expiry: refreshed before connecting. Future expiry: the handshake is refused, then refreshed.
      const before = (await stored())!.refreshToken;
      await spoil(expiresAt);
      await page.reload();
      await page.locator(".live-indicator[data-status=live]").waitFor({ timeout: 10_000 });
      const after = (await stored())!;
      expect(after.refreshToken).not.toBe(before);
      expect(after.accessToken).not.toBe("not-a-token");
    }
    await context.close();
  });
});
