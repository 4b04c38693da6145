/**
 * A doctor registers themselves in a real browser: signs up as a doctor, verifies, lands on their
 * credentials, gives their registration and uploads a PDF; a platform admin sees the document among
 * the pending doctor's details and approves (Approve is not offered to a doctor without documents);
 * the doctor's page then says they are approved. Screenshots at 390, 768 and 1366 px; axe-clean.
 */
import { describe, expect, it } from "vitest";
import { buildPerson } from "../support/factories";
import { latestCode, query } from "../support/db";
import { PDF_BYTES } from "../support/api";
import { axeViolations, pageSignedIn, PHONE, screenshot, useBrowserStage } from "../support/browser";

const LONG = { timeout: 15_000 };
const SIZES = { phone: PHONE, tablet: { width: 768, height: 1024 }, desktop: { width: 1366, height: 768 } };

describe("doctor sign-up with credential documents (browser)", () => {
  const stage = useBrowserStage();

  it("registers, uploads a document, and is approved by a platform admin who saw it", async () => {
    const email = `dr-signup-${Date.now()}@doctors.test`;
    const page = await (await stage.browser.newContext({ viewport: PHONE, bypassCSP: true })).newPage();
    await page.goto(`${stage.app.url}/register`);
    await page.getByLabel("a doctor").check();
    await page.getByLabel("Full name").fill("Dr Farida Rahman");
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password").fill("a long enough passphrase");
    await page.getByRole("button", { name: "Create account" }).click();
    await page.getByRole("heading", { name: "Verify your email" }).waitFor(LONG);
    await page.getByLabel("Verification code").fill(await latestCode(stage.app, email));
    await page.getByRole("button", { name: "Verify" }).click();

    await page.getByRole("heading", { name: "Credentials" }).waitFor(LONG);
    await page.getByTestId("approval").getByText("Waiting for approval").waitFor(LONG);
    await page.getByText("No documents yet").waitFor(LONG);
    await page.getByLabel("Registration body").fill("General Medical Council");
    await page.getByLabel("Registration number").fill("7712345");
    await page.getByLabel("Qualifications (optional)").fill("MBBS, MRCGP");
    await page.getByRole("button", { name: "Save registration" }).click();
    await page.getByText("Registration details saved.").waitFor(LONG);

    await page.getByLabel("What it is").selectOption("registration");
    await page.getByLabel("File").setInputFiles({ name: "GMC certificate.pdf", mimeType: "application/pdf", buffer: PDF_BYTES });
    await page.getByRole("button", { name: "Upload" }).click();
    await page.getByTestId("documents").getByRole("button", { name: "GMC certificate.pdf", exact: true }).waitFor(LONG);
    for (const [name, viewport] of Object.entries(SIZES)) {
      await page.setViewportSize(viewport);
      await screenshot(page, `doctor-credentials-${name}`);
    }
    expect(await axeViolations(page, `${stage.app.url}/doctor/credentials`)).toEqual([]);
    const [doctor] = await query<{ id: string; approval_status: string }>(stage.app, "select d.id, d.approval_status from doctor d join user_account u on u.id = d.user_id where u.email = ?", [email]);
    expect(doctor?.approval_status).toBe("pending");

    // Another pending doctor has no documents: no Approve for them.
    const undocumented = await buildPerson(stage.app, "doctor", { approved: false });
    const platform = await buildPerson(stage.app, "platform_admin");
    const adminPage = await pageSignedIn(stage.browser, stage.app.url, platform.user.email!, { viewport: { width: 1366, height: 768 } });
    await adminPage.goto(`${stage.app.url}/admin/staff`);
    const pending = adminPage.getByTestId("pending-doctors");
    const row = pending.locator("li.admin-approval", { hasText: "Dr Farida Rahman" });
    await row.getByRole("button", { name: "GMC certificate.pdf", exact: true }).waitFor(LONG);
    await row.getByText("General Medical Council 7712345 · MBBS, MRCGP").waitFor();
    const bare = pending.locator("li.admin-approval", { hasText: undocumented.user.displayName });
    await bare.getByText("No documents uploaded yet").waitFor(LONG);
    expect(await bare.getByRole("button", { name: /^Approve/ }).count()).toBe(0);
    await screenshot(adminPage, "admin-approval-documents");
    await row.getByRole("button", { name: "Approve Dr Farida Rahman" }).click();
    await adminPage.getByRole("status").getByText("Dr Farida Rahman approved").waitFor(LONG);
    expect(await query(stage.app, "select approval_status from doctor where id = ?", [doctor!.id])).toEqual([{ approval_status: "approved" }]);

    await page.reload();
    await page.getByTestId("approval").getByText("Approved").waitFor(LONG);
    expect(await page.getByRole("button", { name: /^Remove/ }).count()).toBe(0);
    await page.context().close();
    await adminPage.context().close();
  });
});
