/**
 * The account screens in a real browser: sign-up with a field error then the emailed code (read from
 * the outbox, as the identity suites do) signs the patient in; a forgotten password is reset with its
 * code and only the new one works; two-factor set up from the secret on the page makes the next
 * sign-in ask for a code (a backup code shown once works); another device's session is signed out,
 * the password changed and every session ended; notification preferences survive a reload.
 */
import { generate } from "otplib";
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { loginResponseSchema, notificationPreferencesSchema, patientSchema } from "@clinic/shared";
import { readJson } from "../support/harness";
import { buildPerson, TEST_PASSWORD } from "../support/factories";
import { latestCode } from "../support/db";
import { pageSignedIn, PHONE, screenshot, useBrowserStage } from "../support/browser";

const LONG = { timeout: 10_000 };

describe("account screens (browser)", () => {
  const stage = useBrowserStage();

  const phonePage = async () => (await stage.browser.newContext({ viewport: PHONE })).newPage();
  const api = (path: string, token: string) => fetch(`${stage.app.url}/api/v1${path}`, { headers: { authorization: `Bearer ${token}` } });

  async function signInForm(page: Page, email: string, password: string) {
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password").fill(password);
    await page.getByRole("button", { name: "Sign in" }).click();
  }

  it("registers a patient: a field error on the field, then the emailed code signs them in", async () => {
    const page = await phonePage();
    const email = `new-${Date.now()}@account.test`;
    await page.goto(`${stage.app.url}/sign-in`);
    await page.getByRole("link", { name: "Create an account" }).waitFor();
    await screenshot(page, "account-sign-in-links");
    await page.getByRole("link", { name: "Create an account" }).click();
    await page.getByRole("heading", { name: "Create an account" }).waitFor();

    await page.getByLabel("Full name").fill("Asha Rao");
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password").fill("short");
    await page.getByRole("button", { name: "Create account" }).click();
    // The server's message for the password is shown on the password field itself.
    const password = page.getByLabel("Password");
    await page.locator("input[type=password][aria-invalid=true]").waitFor();
    expect(await page.getByText("at least 8 characters").count()).toBe(1);
    expect(await password.getAttribute("aria-invalid")).toBe("true");
    expect(await page.getByLabel("Email").getAttribute("aria-invalid")).toBe("false");
    await page.getByRole("alert").waitFor();
    await screenshot(page, "account-register");

    await password.fill("a long enough passphrase");
    await page.getByRole("button", { name: "Create account" }).click();
    await page.getByRole("heading", { name: "Verify your email" }).waitFor(LONG);
    expect(await page.getByText(email).count()).toBe(1);
    await screenshot(page, "account-verify");

    // A wrong code is marked on the code field, with the tries left.
    const code = await latestCode(stage.app, email);
    await page.getByLabel("Verification code").fill(code === "000000" ? "111111" : "000000");
    await page.getByRole("button", { name: "Verify" }).click();
    await page.locator("input[aria-invalid=true]").waitFor();
    expect(await page.getByLabel("Verification code").getAttribute("aria-invalid")).toBe("true");

    await page.getByLabel("Verification code").fill(code);
    await page.getByRole("button", { name: "Verify" }).click();
    await page.getByRole("heading", { name: "Welcome, Asha Rao" }).waitFor(LONG);
    expect(new URL(page.url()).pathname).toBe("/");
    await page.context().close();
  });

  it("resets a forgotten password with the emailed code; the old password is refused", async () => {
    const patient = await buildPerson(stage.app, "patient");
    const email = patient.user.email!;
    const page = await phonePage();
    await page.goto(`${stage.app.url}/sign-in`);
    await page.getByRole("link", { name: "Forgot password?" }).click();
    // The account screens are their own chunk: the form is there once its heading is.
    await page.getByRole("heading", { name: "Forgot your password?" }).waitFor(LONG);
    await page.getByLabel("Email").fill(email);
    await page.getByRole("button", { name: "Send reset code" }).click();
    await page.getByRole("heading", { name: "Choose a new password" }).waitFor(LONG);

    await page.getByLabel("Reset code").fill(await latestCode(stage.app, email, "identity.reset-code"));
    await page.getByLabel("New password", { exact: true }).fill("a brand new passphrase");
    await screenshot(page, "account-reset");
    await page.getByRole("button", { name: "Set new password" }).click();
    await page.getByRole("heading", { name: "Password changed" }).waitFor(LONG);

    await page.getByRole("link", { name: "Sign in" }).click();
    await signInForm(page, email, TEST_PASSWORD);
    await page.getByRole("alert").waitFor();
    expect(new URL(page.url()).pathname).toBe("/sign-in");
    await page.getByLabel("Password").fill("a brand new passphrase");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: `Welcome, ${patient.user.displayName}` }).waitFor(LONG);
    await page.context().close();
  });

  it("turns on two-factor from the secret on the page; the next sign-in asks for a code and a backup code works", async () => {
    const patient = await buildPerson(stage.app, "patient");
    const page = await pageSignedIn(stage.browser, stage.app.url, patient.user.email!, { viewport: PHONE });
    await page.getByRole("link", { name: "Account", exact: true }).click();
    await page.getByRole("heading", { name: "Two-factor sign-in" }).waitFor();
    await page.getByRole("button", { name: "Set up two-factor" }).click();
    await page.getByRole("img", { name: /QR code/ }).waitFor();
    const secret = (await page.getByTestId("totp-secret").textContent())!.replace(/\s/g, "");
    expect(secret).toMatch(/^[A-Z2-7]{16,}$/);
    await screenshot(page, "account-security");

    await page.getByLabel("6-digit code from the app").fill(await generate({ secret }));
    await page.getByRole("button", { name: "Turn on two-factor" }).click();
    const codes = page.getByRole("list", { name: "Backup codes" }).getByRole("listitem");
    await codes.first().waitFor(LONG);
    expect(await codes.count()).toBe(10);
    const backup = (await codes.nth(3).textContent())!;
    // The status follows the server's user record, which the page re-reads after enabling.
    await page.getByText("Status: On").waitFor(LONG);
    await screenshot(page, "account-totp");
    await page.getByRole("button", { name: "I have saved them" }).click();
    await codes.first().waitFor({ state: "detached" });

    await page.getByRole("button", { name: "Sign out", exact: true }).click();
    await page.getByRole("heading", { name: "Sign in" }).waitFor();
    await signInForm(page, patient.user.email!, TEST_PASSWORD);
    await page.getByLabel("Authenticator code").waitFor(LONG);
    await page.getByLabel("Authenticator code").fill(backup);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: `Welcome, ${patient.user.displayName}` }).waitFor(LONG);
    await page.context().close();
  });

  it("signs out another device, changes the password, then signs out everywhere", async () => {
    const patient = await buildPerson(stage.app, "patient");
    const email = patient.user.email!;
    const login = await fetch(`${stage.app.url}/api/v1/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json", "user-agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Safari/604.1" },
      body: JSON.stringify({ email, password: TEST_PASSWORD }),
    });
    const other = await readJson(login, loginResponseSchema);
    const page = await pageSignedIn(stage.browser, stage.app.url, email, { viewport: { width: 1280, height: 900 } });
    await page.goto(`${stage.app.url}/account`);
    const sessions = page.getByRole("list", { name: "Sessions" }).getByRole("listitem");
    await sessions.first().waitFor(LONG);
    expect(await sessions.count()).toBe(3);
    expect(await sessions.filter({ hasText: "This device" }).count()).toBe(1);

    await page.getByRole("button", { name: /^Sign out Safari on iPhone/ }).click();
    await page.getByText("Safari on iPhone").waitFor({ state: "detached", ...LONG });
    expect(await sessions.count()).toBe(2);
    expect((await api("/me", other.accessToken)).status).toBe(401);
    expect((await api("/me", patient.token)).status).toBe(200);

    // A wrong current password is marked on its field; the right one signs the other devices out.
    await page.getByLabel("Current password").fill("not my password");
    await page.getByLabel("New password", { exact: true }).fill("another fine passphrase");
    await page.getByRole("button", { name: "Change password" }).click();
    await page.locator("input[aria-invalid=true]").waitFor();
    expect(await page.getByLabel("Current password").getAttribute("aria-invalid")).toBe("true");
    await page.getByLabel("Current password").fill(TEST_PASSWORD);
    await page.getByRole("button", { name: "Change password" }).click();
    await page.getByText("Password changed. Your other devices were signed out.").waitFor(LONG);
    expect((await api("/me", patient.token)).status).toBe(401);
    await page.getByText("Unknown device").waitFor({ state: "detached", ...LONG });

    await page.getByRole("button", { name: "Sign out everywhere" }).click();
    // The app's own confirmation (an alert dialog, focus inside it).
    const confirm = page.getByRole("alertdialog");
    await confirm.getByText("Sign out on every device, including this one?").waitFor();
    await confirm.getByRole("button", { name: "Sign out everywhere" }).click();
    await page.getByRole("heading", { name: "Sign in" }).waitFor(LONG);
    await signInForm(page, email, "another fine passphrase");
    await page.getByRole("heading", { name: `Welcome, ${patient.user.displayName}` }).waitFor(LONG);
    await page.context().close();
  });

  it("saves notification preferences and the profile; both are there after a reload", async () => {
    const patient = await buildPerson(stage.app, "patient");
    const page = await pageSignedIn(stage.browser, stage.app.url, patient.user.email!, { viewport: PHONE });
    await page.getByRole("link", { name: "Account", exact: true }).click();
    // The patient menu has a "Notifications" (the inbox) too: the account page's own navigation is meant.
    await page.getByRole("navigation", { name: "Account" }).getByRole("link", { name: "Notifications" }).click();
    const sms = page.getByLabel("Text message (SMS)");
    await sms.waitFor(LONG);
    expect(await sms.isChecked()).toBe(false);
    expect(await page.getByLabel("Email").isChecked()).toBe(true);

    await sms.check();
    await page.getByLabel("Email").uncheck();
    await page.getByLabel("From").fill("22:30");
    await page.getByLabel("Until").fill("07:15");
    await page.getByLabel("Language of messages").selectOption("bn");
    await page.getByRole("button", { name: "Save preferences" }).click();
    await page.getByText("Preferences saved.").waitFor(LONG);
    await screenshot(page, "account-preferences");

    await page.reload();
    await page.getByLabel("Text message (SMS)").waitFor(LONG);
    expect(await page.getByLabel("Text message (SMS)").isChecked()).toBe(true);
    expect(await page.getByLabel("Email").isChecked()).toBe(false);
    expect(await page.getByLabel("From").inputValue()).toBe("22:30");
    expect(await page.getByLabel("Until").inputValue()).toBe("07:15");
    expect(await page.getByLabel("Language of messages").inputValue()).toBe("bn");
    const saved = await readJson(await api("/me/notification-preferences", patient.token), notificationPreferencesSchema);
    expect(saved).toMatchObject({ email: false, sms: true, quietHours: { start: "22:30", end: "07:15" }, language: "bn" });

    // Quiet hours off is saved as none.
    await page.getByLabel("Hold reminders back during quiet hours").uncheck();
    await page.getByRole("button", { name: "Save preferences" }).click();
    await page.getByText("Preferences saved.").waitFor(LONG);
    expect((await readJson(await api("/me/notification-preferences", patient.token), notificationPreferencesSchema)).quietHours).toBeNull();

    await page.getByRole("link", { name: "Profile" }).click();
    await page.getByLabel("Mobile phone").fill("12345");
    await page.getByLabel("Date of birth").fill("1990-04-12");
    await page.getByRole("button", { name: "Save details" }).click();
    await page.locator("input[type=tel][aria-invalid=true]").waitFor(LONG);
    await page.getByLabel("Mobile phone").fill("+447700900123");
    await page.getByRole("button", { name: "Save details" }).click();
    await page.getByText("Details saved.").waitFor(LONG);
    await screenshot(page, "account-profile");
    await page.reload();
    await page.getByLabel("Mobile phone").waitFor(LONG);
    expect(await page.getByLabel("Mobile phone").inputValue()).toBe("+447700900123");
    expect(await page.getByLabel("Date of birth").inputValue()).toBe("1990-04-12");
    const profile = await readJson(await api("/patients/me", patient.token), patientSchema);
    expect(profile).toMatchObject({ phone: "+447700900123", dateOfBirth: "1990-04-12" });
    await page.context().close();
  });
});
