import { describe, it } from "vitest";
import { buildMiddayClinic, buildPerson } from "../support/factories";
import { pageSignedIn, useBrowserStage } from "../support/browser";

describe("debug", () => {
  const stage = useBrowserStage();
  it("console", async () => {
    const clinic = await buildMiddayClinic(stage.app);
    const reception = await buildPerson(stage.app, "receptionist", { clinicIds: [clinic.id] });
    const page = await pageSignedIn(stage.browser, stage.app.url, reception.user.email!, { viewport: { width: 1366, height: 900 } });
    page.on("console", (m) => console.log("CONSOLE", m.type(), m.text()));
    page.on("pageerror", (e) => console.log("PAGEERROR", e.message));
    await page.goto(`${stage.app.url}/reception/day`);
    await page.waitForTimeout(3000);
    console.log((await page.locator("main").textContent())?.slice(0, 500));
  });
});
