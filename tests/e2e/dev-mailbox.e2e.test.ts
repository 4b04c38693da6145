/**
 * Sign-up on the embedded default, in a real browser: with no email provider the worker sends the
 * code to the development mailbox; the verify screen links to it, the mailbox page shows the email,
 * and the code read there verifies the account. Screenshots at 390, 768 and 1366 px; axe-clean.
 */
import { describe, expect, it } from "vitest";
import { axeViolations, PHONE, screenshot, useBrowserStage } from "../support/browser";

const LONG = { timeout: 20_000 };
const SIZES = { phone: PHONE, tablet: { width: 768, height: 1024 }, desktop: { width: 1366, height: 768 } };

describe("the development mailbox (browser)", () => {
  const stage = useBrowserStage({ worker: true, env: { DEV_MAILBOX: "true" } });

  it("a new patient reads the code in the mailbox linked from the verify screen and verifies", async () => {
    // bypassCSP only lets axe-core be injected; the app runs under its CSP otherwise.
    const page = await (await stage.browser.newContext({ viewport: PHONE, bypassCSP: true })).newPage();
    const email = `mailbox-${Date.now()}@account.test`;
    await page.goto(`${stage.app.url}/register`);
    await page.getByLabel("Full name").fill("Nadia Karim");
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password").fill("a long enough passphrase");
    await page.getByRole("button", { name: "Create account" }).click();
    await page.getByRole("heading", { name: "Verify your email" }).waitFor(LONG);

    // The link is there because this server has a mailbox; it opens in a second tab as a person would.
    const link = page.getByRole("link", { name: "open the development mailbox" });
    await link.waitFor(LONG);
    await screenshot(page, "dev-mailbox-verify-link");
    const mailbox = await page.context().newPage();
    await mailbox.goto(`${stage.app.url}${await link.getAttribute("href")}`);
    await mailbox.getByRole("heading", { name: "Development mailbox" }).waitFor();
    const message = mailbox.getByRole("article").filter({ hasText: email });
    await message.waitFor(LONG);
    const code = /\b(\d{6})\b/.exec(await message.innerText())?.[1];
    expect(code).toBeDefined();
    for (const [name, viewport] of Object.entries(SIZES)) {
      await mailbox.setViewportSize(viewport);
      await screenshot(mailbox, `dev-mailbox-${name}`);
    }
    expect(await axeViolations(mailbox, `${stage.app.url}/dev/mailbox`)).toEqual([]);

    await page.getByLabel("Verification code").fill(code!);
    await page.getByRole("button", { name: "Verify" }).click();
    await page.getByRole("heading", { name: "Welcome, Nadia Karim" }).waitFor(LONG);
    await page.context().close();
  });
});
