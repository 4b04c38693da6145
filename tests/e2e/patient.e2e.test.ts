/**
 * The patient screens on a phone (390 px), against the real server and a worker: search → week →
 * hold with countdown → confirm → My appointments; a slot changing colour live when another patient
 * holds and books it; two patients racing for one slot; cancel and reschedule; a live waitlist offer
 * and notification; check-in with the clinic's code.
 */
import type { Page } from "playwright-core";
import { beforeAll, describe, expect, it } from "vitest";
import { buildAppointmentFromNow, buildDoctor, buildMiddayClinic, buildPatient, buildPerson, buildSlotFromNow, type TestPerson } from "../support/factories";
import { call } from "../support/api";
import { query } from "../support/db";
import { pageSignedIn, PHONE, screenshot, useBrowserStage } from "../support/browser";
import { topicStateKey } from "../../server/src/platform/events";

const HOUR = 60;

describe("patient screens (browser, phone)", () => {
  // Waitlist offers and in-app notifications are made by the worker's jobs.
  const stage = useBrowserStage({ worker: true });
  let clinicId: string;

  beforeAll(async () => {
    clinicId = (await buildMiddayClinic(stage.app)).id;
  });

  /** A listed doctor with a distinctive name and free regular slots from ~26 h ahead (past the cancel cutoff). */
  async function doctorWithSlots(name: string, count: number) {
    const doctor = await buildDoctor(stage.app, [clinicId]);
    await query(stage.app, `update doctor set display_name = ?, languages = '{en,bn}' where id = ?`, [name, doctor.doctorId]);
    const slotIds: string[] = [];
    for (let i = 0; i < count; i++) slotIds.push((await buildSlotFromNow(stage.app, { doctorId: doctor.doctorId, clinicId, fromNowMinutes: 26 * HOUR + i * 30, minutes: 30 })).id);
    return { doctor, slotIds };
  }

  const phonePage = (person: TestPerson) => pageSignedIn(stage.browser, stage.app.url, person.user.email!, { viewport: PHONE });
  const slotButton = (page: Page, slotId: string) => page.locator(`[data-slot-id="${slotId}"]`);

  async function openWeek(page: Page, doctorId: string) {
    await page.goto(`${stage.app.url}/patient/doctors/${doctorId}`);
    await page.locator(".week-head .live-indicator[data-status=live]").waitFor({ timeout: 10_000 });
  }

  it("finds a doctor, holds a slot with a countdown, confirms it and sees it in My appointments", async () => {
    const { doctor, slotIds } = await doctorWithSlots("Dr Asha Rahmanova", 3);
    const patient = await buildPatient(stage.app, { tier: "vise", relatedTo: doctor.doctorId });
    const page = await phonePage(patient);

    await page.getByRole("link", { name: "Find a doctor", exact: true }).click();
    await page.getByLabel("Doctor's name").fill("Rahmanova");
    await page.getByLabel("Language").fill("bn");
    await page.getByRole("button", { name: "Search" }).click();
    const results = page.getByTestId("doctor-results");
    await results.getByRole("link", { name: "Dr Asha Rahmanova", exact: true }).waitFor();
    await results.getByText("Earliest free:").waitFor();
    expect(await results.locator(".doctor-card").count()).toBe(1);
    await screenshot(page, "patient-search");

    await results.getByRole("link", { name: "See Dr Asha Rahmanova's week" }).click();
    await page.getByRole("heading", { name: "Dr Asha Rahmanova" }).waitFor();
    const first = slotButton(page, slotIds[0]!);
    await first.waitFor();
    expect(await first.getAttribute("data-state")).toBe("free");
    expect(await first.getAttribute("aria-label")).toMatch(/Free: book$/);
    await screenshot(page, "patient-week");

    await first.click();
    await page.getByRole("heading", { name: "Confirm your appointment" }).waitFor();
    const countdown = page.getByTestId("hold-countdown");
    expect(await countdown.textContent()).toMatch(/^(10:00|9:[0-5]\d)$/);
    const before = await countdown.textContent();
    await expect.poll(() => countdown.textContent(), { timeout: 10_000 }).not.toBe(before); // it ticks
    await screenshot(page, "patient-booking");

    await page.getByRole("button", { name: "Confirm booking" }).click();
    await page.getByRole("heading", { name: "Booked" }).waitFor();
    await page.getByRole("link", { name: "See my appointments" }).click();
    const upcoming = page.getByTestId("upcoming");
    await upcoming.getByText("Dr Asha Rahmanova").waitFor();
    expect(await upcoming.locator(".appointment-status").first().textContent()).toBe("Booked");
    const [row] = await query<{ status: string }>(stage.app, `select status from slot where id = ?`, [slotIds[0]]);
    expect(row!.status).toBe("booked");
  });

  it("sorts the search by rating when asked (the server's order), else soonest available first", async () => {
    const soon = await doctorWithSlots("Dr Sortly Soon", 1);
    const rated = await doctorWithSlots("Dr Sortly Rated", 0);
    await buildSlotFromNow(stage.app, { doctorId: rated.doctor.doctorId, clinicId, fromNowMinutes: 60 * HOUR, minutes: 30 });
    await query(stage.app, `update doctor set rating_average = 4.8, rating_count = 12 where id = ?`, [rated.doctor.doctorId]);
    await query(stage.app, `update doctor set rating_average = 3.1, rating_count = 40 where id = ?`, [soon.doctor.doctorId]);
    const page = await phonePage(await buildPatient(stage.app, { tier: "standard" }));
    await page.getByRole("link", { name: "Find a doctor", exact: true }).click();
    await page.getByLabel("Doctor's name").fill("Sortly");
    const names = () => page.getByTestId("doctor-results").locator(".doctor-card h3").allTextContents();

    await page.getByRole("button", { name: "Search" }).click();
    await expect.poll(names, { timeout: 10_000 }).toEqual(["Dr Sortly Soon", "Dr Sortly Rated"]);
    await page.getByLabel("Sort by").selectOption({ label: "Highest rated" });
    await page.getByRole("button", { name: "Search" }).click();
    await expect.poll(names, { timeout: 10_000 }).toEqual(["Dr Sortly Rated", "Dr Sortly Soon"]);
  });

  it("shows a slot turn held, then booked, live when another patient takes it through the API", async () => {
    const { doctor, slotIds } = await doctorWithSlots("Dr Live Colours", 2);
    const viewer = await buildPatient(stage.app, { tier: "vise", relatedTo: doctor.doctorId });
    const other = await buildPatient(stage.app, { tier: "vise", relatedTo: doctor.doctorId });
    const page = await phonePage(viewer);
    await openWeek(page, doctor.doctorId);
    const slot = slotButton(page, slotIds[1]!);
    await slot.and(page.locator("[data-state=free]")).waitFor();

    const held = await call(stage.app, other, "POST", "/appointments", { slotId: slotIds[1] });
    expect(held.status).toBe(201);
    await slot.and(page.locator("[data-state=held]")).waitFor({ timeout: 10_000 });
    expect(await slot.isDisabled()).toBe(true);
    expect(await slot.textContent()).toContain("Held");

    expect((await call(stage.app, other, "POST", `/appointments/${held.body.id}/confirm`)).status).toBe(200);
    await slot.and(page.locator("[data-state=booked]")).waitFor({ timeout: 10_000 });
    expect(await slot.textContent()).toContain("Booked");
  });

  it("shows a slot booked before the page opened as Booked (the topic's snapshot lists it), at phone, tablet and desktop widths", async () => {
    const { doctor, slotIds } = await doctorWithSlots("Dr Already Booked", 3);
    const other = await buildPatient(stage.app, { tier: "vise", relatedTo: doctor.doctorId });
    const held = await call(stage.app, other, "POST", "/appointments", { slotId: slotIds[1] });
    expect(held.status).toBe(201);
    expect((await call(stage.app, other, "POST", `/appointments/${held.body.id}/confirm`)).status).toBe(200);

    const viewer = await buildPatient(stage.app, { tier: "vise", relatedTo: doctor.doctorId });
    const page = await phonePage(viewer);
    await openWeek(page, doctor.doctorId);
    const booked = slotButton(page, slotIds[1]!);
    await booked.and(page.locator("[data-state=booked]")).waitFor();
    expect(await booked.isDisabled()).toBe(true);
    await slotButton(page, slotIds[0]!).and(page.locator("[data-state=free]")).waitFor();
    // A phone: a strip of days, the slots' day chosen, saying how many are free (the booked one is shown, not counted).
    expect(await page.locator(".day-chip[aria-pressed=true]").textContent()).toMatch(/2 free$/);
    expect(await page.locator(".day-chip").count()).toBe(7);
    for (const [width, height] of [[390, 844], [768, 1024], [1366, 900]] as const) {
      await page.setViewportSize({ width, height });
      if (width > 390) {
        // Wider: a table of times (rows) by days (columns), the booked slot in its row as taken.
        await page.locator("table.week-grid").waitFor();
        expect(await page.locator("table.week-grid thead th[scope=col]").count()).toBe(8);
        expect(await page.locator("table.week-grid tbody tr").count()).toBe(3);
        expect(await booked.getAttribute("data-state")).toBe("booked");
      }
      await screenshot(page, `patient-week-booked-${width}`);
    }
  });

  it("still shows bookings live after Redis lost the topic's counter: the new epoch makes the page resync", async () => {
    const { doctor, slotIds } = await doctorWithSlots("Dr Lost Counter", 3);
    const viewer = await buildPatient(stage.app, { tier: "vise", relatedTo: doctor.doctorId });
    const page = await phonePage(viewer);
    await openWeek(page, doctor.doctorId);
    const takeSlot = async (slotId: string) => {
      const other = await buildPatient(stage.app, { tier: "vise", relatedTo: doctor.doctorId });
      expect((await call(stage.app, other, "POST", "/appointments", { slotId })).status).toBe(201);
      await slotButton(page, slotId).and(page.locator("[data-state=held]")).waitFor({ timeout: 10_000 });
    };
    await takeSlot(slotIds[0]!);
    await takeSlot(slotIds[1]!);

    // The counter is lost (as in a Redis restart without persistence): the next event is seq 1 again,
    // which a page going by seq alone would drop as already seen.
    await stage.app.runtime.redis.del(topicStateKey(stage.app.runtime.config.redis.prefix, `slots:${doctor.doctorId}`));
    await takeSlot(slotIds[2]!);
    await page.locator(".week-head .live-indicator[data-status=live]").waitFor();
  });

  it("two patients click the same slot at once: one holds it, the other is told it was just taken", async () => {
    const { doctor, slotIds } = await doctorWithSlots("Dr Race Condition", 2);
    const [alice, bob] = await Promise.all([buildPatient(stage.app, { tier: "standard" }), buildPatient(stage.app, { tier: "standard" })]);
    const pages = await Promise.all([phonePage(alice), phonePage(bob)]);
    await Promise.all(pages.map((page) => openWeek(page, doctor.doctorId)));
    const buttons = pages.map((page) => slotButton(page, slotIds[0]!));
    await Promise.all(buttons.map((button) => button.and(button.page().locator("[data-state=free]")).waitFor()));

    await Promise.all(buttons.map((button) => button.click()));
    const outcomes = await Promise.all(pages.map(async (page) => {
      const hold = page.getByRole("heading", { name: "Confirm your appointment" });
      await hold.or(page.getByText("This slot was just taken")).waitFor({ timeout: 15_000 });
      return (await hold.count()) > 0 ? "hold" : "taken";
    }));
    expect([...outcomes].sort()).toEqual(["hold", "taken"]);

    const loser = pages[outcomes.indexOf("taken")]!;
    const winner = pages[outcomes.indexOf("hold")]!;
    const lost = slotButton(loser, slotIds[0]!);
    await lost.and(loser.locator("[data-state=held]")).waitFor({ timeout: 10_000 });
    expect(await lost.isDisabled()).toBe(true);
    // The standard tier pays: the hold says so clearly instead of offering Confirm.
    await winner.getByRole("heading", { name: "Payment needed" }).waitFor();
    expect(await winner.getByRole("button", { name: "Confirm booking" }).count()).toBe(0);
    const live = await query<{ n: string }>(stage.app, `select count(*)::int as n from appointment where slot_id = ? and status = 'pending'`, [slotIds[0]]);
    expect(Number(live[0]!.n)).toBe(1);
  });

  it("reschedules to another live slot and cancels from My appointments", async () => {
    const { doctor, slotIds } = await doctorWithSlots("Dr Move Around", 3);
    const patient = await buildPatient(stage.app, { tier: "vise", relatedTo: doctor.doctorId });
    const held = await call(stage.app, patient, "POST", "/appointments", { slotId: slotIds[0] });
    expect((await call(stage.app, patient, "POST", `/appointments/${held.body.id}/confirm`)).status).toBe(200);
    const page = await phonePage(patient);
    await page.getByRole("link", { name: "My appointments", exact: true }).click();
    const upcoming = page.getByTestId("upcoming");
    await upcoming.getByText("Dr Move Around").waitFor();

    await upcoming.getByRole("link", { name: /^Reschedule / }).click();
    await page.getByRole("heading", { name: "Reschedule" }).waitFor();
    const target = slotButton(page, slotIds[2]!);
    await target.waitFor();
    expect(await slotButton(page, slotIds[0]!).count()).toBe(0); // its own slot is not offered
    await target.click();
    await page.getByText("Your appointment moved from").waitFor();
    const moved = await query<{ status: string }>(stage.app, `select status from slot where id in (?, ?) order by starts_at`, [slotIds[0], slotIds[2]]);
    expect(moved.map((r) => r.status)).toEqual(["available", "booked"]);
    await screenshot(page, "patient-appointments");

    await upcoming.getByRole("button", { name: /^Cancel / }).click();
    await page.getByText(/^Cancel .* The time goes back to other patients\.$/).waitFor();
    await page.getByRole("button", { name: "Yes, cancel it" }).click();
    await page.getByText("No upcoming appointments.").waitFor();
    await page.getByTestId("past").getByText("Cancelled").first().waitFor();
  });

  it("a waitlist offer and its notification arrive live; the offer is accepted", async () => {
    const { doctor, slotIds } = await doctorWithSlots("Dr Wait Listed", 1);
    const filler = await buildPatient(stage.app, { tier: "standard" });
    const held = await call(stage.app, filler, "POST", "/appointments", { slotId: slotIds[0] });
    expect(held.status).toBe(201);
    const patient = await buildPatient(stage.app, { tier: "vise", relatedTo: doctor.doctorId });
    const page = await phonePage(patient);

    await page.getByRole("link", { name: "Waitlist", exact: true }).click();
    await page.getByRole("option", { name: "Dr Wait Listed" }).waitFor({ state: "attached" });
    await page.getByLabel("Doctor").selectOption({ label: "Dr Wait Listed" });
    await page.getByRole("button", { name: "Join the waitlist" }).click();
    const list = page.getByTestId("waitlist");
    await list.getByText("Waiting").waitFor();

    const inbox = await page.context().newPage();
    await inbox.goto(`${stage.app.url}/notifications`);
    await inbox.getByTestId("unread-count").getByText("No unread").waitFor();

    // The filler lets the slot go: the worker offers it to the waiting patient.
    expect((await call(stage.app, filler, "POST", `/appointments/${held.body.id}/cancel`, { reason: "plans changed" })).status).toBe(200);
    await list.getByRole("button", { name: "Accept" }).waitFor({ timeout: 15_000 });
    expect(await list.getByTestId("offer-countdown").textContent()).toMatch(/^1[45]:\d\d$/);
    await screenshot(page, "patient-waitlist");

    await inbox.getByTestId("unread-count").getByText("1 unread").waitFor({ timeout: 15_000 });
    // The menu's count follows on every page of the patient's, live.
    expect(await page.getByTestId("nav-unread").textContent()).toBe("1 unread");
    await inbox.getByTestId("inbox").locator(".inbox-unread").first().waitFor();
    await screenshot(inbox, "patient-notifications");
    await inbox.getByRole("button", { name: "Mark all as read" }).click();
    await inbox.getByTestId("unread-count").getByText("No unread").waitFor();
    await page.getByTestId("nav-unread").waitFor({ state: "detached" });

    await list.getByRole("button", { name: "Accept" }).click();
    await list.getByText(/^Booked: /).waitFor();
    const [slot] = await query<{ status: string }>(stage.app, `select status from slot where id = ?`, [slotIds[0]]);
    expect(slot!.status).toBe("booked");
  });

  it("checks in with the code from the waiting-room screen and shows the ticket", async () => {
    const doctor = await buildDoctor(stage.app, [clinicId]);
    await query(stage.app, `update doctor set display_name = 'Dr Check Point' where id = ?`, [doctor.doctorId]);
    const patient = await buildPatient(stage.app, { tier: "standard" });
    await buildAppointmentFromNow(stage.app, { doctorId: doctor.doctorId, clinicId, patientId: patient.patientId, fromNowMinutes: 10 });
    const reception = await buildPerson(stage.app, "receptionist", { clinicIds: [clinicId] });
    const code = (await call(stage.app, reception, "GET", `/clinics/${clinicId}/display`)).body.checkInCode as string;

    const page = await phonePage(patient);
    await page.getByRole("link", { name: "My appointments", exact: true }).click();
    const upcoming = page.getByTestId("upcoming");
    await upcoming.getByLabel("Check-in code").waitFor();
    await upcoming.getByLabel("Check-in code").fill("ZZZZZZZZ");
    await upcoming.getByRole("button", { name: "Check in" }).click();
    await upcoming.locator(".field-error").waitFor();
    expect(await upcoming.getByLabel("Check-in code").getAttribute("aria-invalid")).toBe("true");

    await upcoming.getByLabel("Check-in code").fill(code.toLowerCase());
    await upcoming.getByRole("button", { name: "Check in" }).click();
    await upcoming.getByTestId("ticket").getByText("You are checked in.").waitFor();
    expect(await upcoming.locator(".ticket-number").textContent()).toMatch(/^[A-Z]+-?\d+$/);
    await upcoming.getByText("Checked in", { exact: true }).waitFor();
    await screenshot(page, "patient-check-in");
  });

  it("shows the price and the cancellation policy before a hold, and names the clinic's time zone when the browser is elsewhere", async () => {
    const { doctor } = await doctorWithSlots("Dr Zoe Zonal", 1);
    const patient = await buildPatient(stage.app, { tier: "vise", relatedTo: doctor.doctorId });
    const zone = (await query<{ time_zone: string }>(stage.app, "select time_zone from clinic where id = ?", [clinicId]))[0]!.time_zone;
    const away = await pageSignedIn(stage.browser, stage.app.url, patient.user.email!, { viewport: PHONE, timezoneId: "Asia/Kathmandu" });
    await openWeek(away, doctor.doctorId!);
    expect(await away.getByTestId("zone-note").innerText()).toContain(`(${zone}), the clinic's time.`);
    // Before any hold: what it costs and until when it can be cancelled.
    await query(stage.app, "update doctor set consultation_fee_minor = 4500, currency = 'GBP' where id = ?", [doctor.doctorId]);
    await away.reload();
    const policy = away.getByTestId("price-policy");
    await policy.getByText(/£45\.00 a consultation, plus a 2 % card fee/).waitFor({ timeout: 10_000 });
    await policy.getByText(/free of charge until 24 hours before the appointment/).waitFor();
    await away.context().close();
    const local = await pageSignedIn(stage.browser, stage.app.url, patient.user.email!, { viewport: PHONE, timezoneId: zone });
    await openWeek(local, doctor.doctorId!);
    expect(await local.getByTestId("zone-note").count()).toBe(0);
    await local.context().close();
  });

  it("the home page shows the patient's next appointment and where to manage it", async () => {
    const { doctor } = await doctorWithSlots("Dr Hana Homepage", 0);
    const patient = await buildPatient(stage.app, { tier: "vise", relatedTo: doctor.doctorId });
    await buildAppointmentFromNow(stage.app, { doctorId: doctor.doctorId!, clinicId, patientId: patient.patientId!, fromNowMinutes: 3 * 24 * HOUR });
    const page = await phonePage(patient);
    const next = page.getByTestId("home-next");
    await next.getByText("with Dr Hana Homepage").waitFor({ timeout: 10_000 });
    await next.getByRole("link", { name: "Manage or check in" }).waitFor();
    await screenshot(page, "home-patient");
    await page.context().close();
  });
});
