/**
 * A clinic admin sets up a waiting-room screen in the browser: creates a display token, opens the
 * address it shows in another browser context (the screen goes live with the clinic's feed), then
 * revokes it and the screen stops showing the queue.
 */
import { describe, expect, it } from "vitest";
import { buildMiddayClinic, buildPerson, TEST_PASSWORD } from "../support/factories";
import { screenshot, signIn, useBrowserStage } from "../support/browser";

describe("clinic admin: waiting-room screens (browser)", () => {
  const stage = useBrowserStage();

  it("creates a screen, the screen goes live from the shown address, revoking it blanks the screen", async () => {
    const clinicId = (await buildMiddayClinic(stage.app)).id;
    const admin = await buildPerson(stage.app, "clinic_admin", { clinicIds: [clinicId] });
    const adminPage = await (await stage.browser.newContext()).newPage();
    await signIn(adminPage, stage.app.url, admin.user.email!, TEST_PASSWORD);
    await adminPage.getByRole("link", { name: "Clinic admin", exact: true }).click();
    await adminPage.getByRole("link", { name: /Waiting-room screens/ }).click();
    await adminPage.getByText("No screens yet.").waitFor();

    // The server's field error is shown on the field.
    await adminPage.getByRole("button", { name: "Create screen" }).click();
    await adminPage.locator(".field-error").waitFor();
    expect(await adminPage.getByLabel("Screen name").getAttribute("aria-invalid")).toBe("true");

    await adminPage.getByLabel("Screen name").fill("Lobby TV");
    await adminPage.getByRole("button", { name: "Create screen" }).click();
    const address = (await adminPage.getByTestId("screen-address").textContent())!;
    expect(address).toContain(`/display?clinic=${clinicId}#token=dsp_`);
    await adminPage.getByTestId("screens").getByText("Lobby TV").waitFor();
    await screenshot(adminPage, "admin-screens");

    const screen = await (await stage.browser.newContext({ viewport: { width: 1600, height: 900 } })).newPage();
    await screen.goto(address);
    await screen.locator(".live-indicator[data-status=live]").waitFor({ timeout: 10_000 });
    await screen.getByTestId("check-in-code").waitFor();

    // Asked first, in the app's alert dialog: Escape (or Cancel) leaves the screen running.
    const revoke = adminPage.getByRole("button", { name: "Revoke Lobby TV" });
    await revoke.click();
    const dialog = adminPage.getByRole("alertdialog");
    await dialog.getByText('Revoke "Lobby TV"? Its screen goes blank at once.').waitFor();
    expect(await dialog.getByRole("button", { name: "Revoke", exact: true }).evaluate((button) => (button as unknown as { matches(selector: string): boolean }).matches(":focus"))).toBe(true);
    await adminPage.keyboard.press("Escape");
    await dialog.waitFor({ state: "detached" });
    expect(await revoke.evaluate((button) => (button as unknown as { matches(selector: string): boolean }).matches(":focus"))).toBe(true);
    await screen.getByTestId("check-in-code").waitFor();
    await revoke.click();
    await dialog.getByRole("button", { name: "Revoke", exact: true }).click();
    await adminPage.getByTestId("screens").getByText("Revoked").waitFor();
    await screen.locator(".live-indicator[data-status=offline]").waitFor({ timeout: 5_000 });
    expect(await screen.getByTestId("check-in-code").count()).toBe(0);
  });
});
