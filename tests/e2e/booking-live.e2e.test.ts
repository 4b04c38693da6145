/**
 * Two people, two browsers: a patient books on a phone and the receptionist's queue board, open in
 * another context, shows the booking within a second of the server's reply — no reload, no polling.
 */
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { buildDoctor, buildMiddayClinic, buildPatient, buildPerson, buildSlotFromNow } from "../support/factories";
import { query } from "../support/db";
import { pageSignedIn, PHONE, screenshot, useBrowserStage } from "../support/browser";

// The bound for a booking to reach the reception board (docs/web.md).
const LIVE_WITHIN_MS = 1_000;

describe("a booking reaches the reception board live (browser, two contexts)", () => {
  const stage = useBrowserStage();

  /** Waits for the patient's request to `path` and returns its reply body. */
  const replyTo = (page: Page, method: string, path: RegExp) =>
    page.waitForResponse((response) => response.request().method() === method && path.test(new URL(response.url()).pathname));

  it("the patient holds and confirms; the board shows the hold, then the confirmed visit, each within a second", async () => {
    const clinicId = (await buildMiddayClinic(stage.app)).id;
    const doctor = await buildDoctor(stage.app, [clinicId]);
    await query(stage.app, `update doctor set display_name = 'Dr Board Watcher' where id = ?`, [doctor.doctorId]);
    const slotId = (await buildSlotFromNow(stage.app, { doctorId: doctor.doctorId, clinicId, fromNowMinutes: 90, minutes: 30 })).id;
    const patient = await buildPatient(stage.app, { tier: "vise", relatedTo: doctor.doctorId });
    await query(stage.app, `update patient set full_name = 'Lina Livebooker' where id = ?`, [patient.patientId]);
    const reception = await buildPerson(stage.app, "receptionist", { clinicIds: [clinicId] });

    const board = await pageSignedIn(stage.browser, stage.app.url, reception.user.email!, { viewport: { width: 1400, height: 900 } });
    await board.getByRole("link", { name: "Queue board", exact: true }).click();
    await board.getByTestId("board-live").locator("[data-status=live]").waitFor({ timeout: 10_000 });

    // A mark on the board's document: it is still there at the end only if the page never reloaded.
    await board.evaluate(() => void ((globalThis as Record<string, unknown>).boardMark = true));

    const phone = await pageSignedIn(stage.browser, stage.app.url, patient.user.email!, { viewport: PHONE });
    await phone.goto(`${stage.app.url}/patient/doctors/${doctor.doctorId}`);
    const slot = phone.locator(`[data-slot-id="${slotId}"][data-state=free]`);
    await slot.waitFor({ timeout: 10_000 });

    // Hold: the board shows the patient's row, marked as held, within a second of the reply.
    const held = replyTo(phone, "POST", /\/api\/v1\/appointments$/);
    await slot.click();
    const holdReply = await held;
    expect(holdReply.status()).toBe(201);
    const appointmentId = ((await holdReply.json()) as { id: string }).id;
    const row = board.getByTestId(`board-appointment-${appointmentId}`);
    await row.getByText("Lina Livebooker").waitFor({ timeout: LIVE_WITHIN_MS });
    await row.getByText("Held, not confirmed").waitFor({ timeout: LIVE_WITHIN_MS });

    // Confirm: the row turns into a confirmed visit reception can check in, within a second again.
    const confirmed = replyTo(phone, "POST", /\/confirm$/);
    await phone.getByRole("button", { name: "Confirm booking" }).click();
    expect((await confirmed).status()).toBe(200);
    await row.getByRole("button", { name: /Check in Lina Livebooker/ }).waitFor({ timeout: LIVE_WITHIN_MS });
    await phone.getByRole("heading", { name: "Booked" }).waitFor();
    await screenshot(board, "booking-live-board");
    await screenshot(phone, "booking-live-patient");

    // The board never reloaded: the same document received the events.
    expect(await board.evaluate(() => (globalThis as Record<string, unknown>).boardMark)).toBe(true);
  });
});
