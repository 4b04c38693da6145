/**
 * Reception in the browser: the live queue board (a patient's booking and a colleague's check-in
 * appear without reload; check-in, walk-ins, emergencies, reorder, reassign, a stale version) and
 * the day calendar (drag-and-drop and keyboard reschedule).
 */
import type { Locator, Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { localDateOf } from "@clinic/shared";
import { buildAppointmentFromNow, buildDoctor, buildMiddayClinic, buildNamedPatient as namedPatient, buildPerson, buildSlotFromNow, type TestPerson } from "../support/factories";
import { act, call, staffCheckIn } from "../support/api";
import { query } from "../support/db";
import { pageSignedIn, screenshot, useBrowserStage } from "../support/browser";

const WIDE = { width: 1400, height: 1000 };

describe("reception screens (browser)", () => {
  const stage = useBrowserStage();

  /** A patient on the standard tier (tier `none` may not book). */
  async function patientNamed(name: string) {
    const patient = await namedPatient(stage.app, name);
    await query(stage.app, `update patient set subscription_tier = 'standard' where id = ?`, [patient.patientId]);
    return patient;
  }

  async function setup(doctorCount = 1) {
    const clinic = await buildMiddayClinic(stage.app);
    const doctors = [];
    for (let i = 0; i < doctorCount; i++) doctors.push(await buildDoctor(stage.app, [clinic.id]));
    const reception = await buildPerson(stage.app, "receptionist", { clinicIds: [clinic.id] });
    return { clinicId: clinic.id, doctors, reception };
  }

  async function open(reception: TestPerson, link: "Queue board" | "Day calendar"): Promise<Page> {
    const page = await pageSignedIn(stage.browser, stage.app.url, reception.user.email!, { viewport: WIDE });
    await page.getByRole("link", { name: link, exact: true }).click();
    await page.getByTestId(link === "Queue board" ? "board-live" : "calendar-live").locator("[data-status=live]").waitFor({ timeout: 10_000 });
    return page;
  }

  it("shows a patient's booking and a colleague's check-in live, and checks in from the board", async () => {
    const { clinicId, doctors: [doctor], reception } = await setup();
    const colleague = await buildPerson(stage.app, "receptionist", { clinicIds: [clinicId] });
    const early = await patientNamed("Ada Earlybird");
    const earlyAppointment = (await buildAppointmentFromNow(stage.app, { doctorId: doctor!.doctorId, clinicId, patientId: early.patientId, fromNowMinutes: 20 })).id;
    const page = await open(reception, "Queue board");
    await page.getByTestId(`board-appointment-${earlyAppointment}`).getByText("Ada Earlybird").waitFor();

    // A patient books through the API: the board shows it without reload.
    const booker = await patientNamed("Bruno Booksalot");
    // The vise tier books free with a doctor it has a relation with: held, then confirmed. Reception
    // may not create relations (a clinic admin does, with a reason), so the fixture writes it.
    await query(stage.app, `update patient set subscription_tier = 'vise' where id = ?`, [booker.patientId]);
    await query(stage.app, `insert into doctor_patient (id, doctor_id, patient_id) values (gen_random_uuid(), ?, ?)`, [doctor!.doctorId, booker.patientId]);
    const slotId = (await buildSlotFromNow(stage.app, { doctorId: doctor!.doctorId, clinicId, fromNowMinutes: 60 })).id;
    const booked = await call(stage.app, booker, "POST", "/appointments", { slotId });
    expect(booked.status, JSON.stringify(booked.body)).toBe(201);
    const row = page.getByTestId(`board-appointment-${booked.body.id}`);
    await row.getByText("Bruno Booksalot").waitFor({ timeout: 5_000 });
    // Held first ("Held, not confirmed"), then confirmed: Check in appears.
    await row.getByText("Held, not confirmed").waitFor();
    expect(booked.body.next).toBe("confirm");
    expect((await call(stage.app, booker, "POST", `/appointments/${booked.body.id}/confirm`)).status).toBe(200);
    await row.getByRole("button", { name: /Check in Bruno Booksalot/ }).waitFor({ timeout: 5_000 });

    // A colleague checks Ada in: she leaves "expected" and waits with her ticket.
    const entry = (await staffCheckIn(stage.app, colleague, clinicId, earlyAppointment)).body;
    await page.getByTestId(`board-entry-${entry.id}`).getByText("A-001").waitFor({ timeout: 5_000 });
    // How long she has waited, shown on her card.
    await page.getByTestId(`time-in-status-${entry.id}`).getByText(/^for \d+ min$/).waitFor();
    await page.getByTestId(`board-appointment-${earlyAppointment}`).waitFor({ state: "detached" });
    // The day's figures follow the queue events.
    await page.getByRole("definition").filter({ hasText: /^1$/ }).first().waitFor({ timeout: 5_000 });

    // Checking Bruno in from the board.
    await row.getByRole("button", { name: /Check in Bruno Booksalot/ }).click();
    await page.getByRole("status").getByText("Bruno Booksalot checked in as A-002.").waitFor();
    await page.getByTestId("queue-board").locator("li", { hasText: "A-002" }).getByText("Bruno Booksalot").waitFor();
    const queue = await call(stage.app, reception, "GET", `/clinics/${clinicId}/queue`);
    expect(queue.body.items.map((e: { patientName: string }) => e.patientName).sort()).toEqual(["Ada Earlybird", "Bruno Booksalot"]);
    await screenshot(page, "reception-board");
  });

  it("resyncs after losing its connection: what happened meanwhile is on the board once it is back", async () => {
    const { clinicId, doctors: [doctor], reception } = await setup();
    const patient = await patientNamed("Otto Offline");
    const appointmentId = (await buildAppointmentFromNow(stage.app, { doctorId: doctor!.doctorId, clinicId, patientId: patient.patientId, fromNowMinutes: 30 })).id;
    const page = await open(reception, "Queue board");
    await page.getByTestId(`board-appointment-${appointmentId}`).waitFor();
    const indicator = page.getByTestId("board-live").locator(".live-indicator");

    // The device loses the network and the server drops the socket: no event can reach the page.
    await page.context().setOffline(true);
    stage.app.runtime.realtime!.disconnectAll();
    await indicator.and(page.locator("[data-status=offline]")).waitFor({ timeout: 5_000 });
    const entry = await staffCheckIn(stage.app, reception, clinicId, appointmentId);
    expect(entry.status).toBe(201);
    expect(await page.getByTestId(`board-entry-${entry.body.id}`).count()).toBe(0);

    // Back online: the board reconnects, resubscribes and its snapshot carries the missed check-in.
    await page.context().setOffline(false);
    await indicator.and(page.locator("[data-status=live]")).waitFor({ timeout: 15_000 });
    await page.getByTestId(`board-entry-${entry.body.id}`).getByText("A-001").waitFor({ timeout: 5_000 });
    await page.getByTestId(`board-appointment-${appointmentId}`).waitFor({ state: "detached" });
  });

  it("registers walk-ins (a quick record; the no-capacity message) and an emergency", async () => {
    const { clinicId, doctors: [doctor], reception } = await setup();
    await buildSlotFromNow(stage.app, { doctorId: doctor!.doctorId, clinicId, fromNowMinutes: 30, kind: "walk_in" });
    await buildSlotFromNow(stage.app, { doctorId: doctor!.doctorId, clinicId, fromNowMinutes: 26 * 60, kind: "walk_in" });
    const known = await patientNamed("Kim Knownpatient");
    await buildAppointmentFromNow(stage.app, { doctorId: doctor!.doctorId, clinicId, patientId: known.patientId, fromNowMinutes: -120 });
    // A UK clinic (its own number says so): the desk types numbers the way patients say them.
    await query(stage.app, `update clinic set phone = '+442071234567' where id = ?`, [clinicId]);
    const page = await open(reception, "Queue board");
    // The registration is in a drawer, closed so the queue is above the fold.
    expect(await page.getByTestId("walk-in-drawer").getAttribute("open")).toBeNull();
    await page.getByTestId("walk-in-drawer").locator("summary").click();
    const form = page.locator("form.rc-walkin");

    await form.getByLabel("New patient (quick record)").check();
    await form.getByLabel("Patient name").fill("Walter Walkin");
    await form.getByLabel("Phone").fill("07700 900555");
    await form.getByText("Saved as +44 7700 900555").waitFor();
    await form.getByRole("button", { name: "Register walk-in" }).click();
    await form.getByRole("status").getByText(/W-001 registered: Walter Walkin/).waitFor();
    await page.getByTestId("queue-board").getByText("Walter Walkin").waitFor();

    // The only walk-in place of today is taken: the refusal says when the next one is.
    await form.getByLabel("Existing patient").check();
    // The search is a combobox: the server's matches as options.
    await form.getByRole("combobox", { name: "Find patient (name or phone)" }).fill("knownpat");
    await page.getByRole("option", { name: /Kim Knownpatient/ }).click();
    await form.getByText("Chosen: Kim Knownpatient").waitFor();
    await form.getByRole("button", { name: "Register walk-in" }).click();
    await form.getByTestId("no-capacity").getByText(/next free walk-in place is/).waitFor();
    await screenshot(page, "reception-walk-in");

    // An emergency needs a reason (the server's field error), then is registered.
    await form.getByLabel("Emergency").check();
    await form.getByRole("button", { name: "Register emergency" }).click();
    const reason = form.getByLabel("Reason (required for an emergency)");
    await expect.poll(() => reason.getAttribute("aria-invalid")).toBe("true");
    await reason.fill("Chest pain");
    await form.getByRole("button", { name: "Register emergency" }).click();
    await form.getByRole("status").getByText(/E-001 registered: Kim Knownpatient/).waitFor();
    await page.getByTestId("queue-board").locator("li", { hasText: "E-001" }).getByText("Reason: Chest pain").waitFor();
  });

  it("reorders and reassigns with versions; a stale version shows the conflict", async () => {
    const { clinicId, doctors: [first, second], reception } = await setup(2);
    const entries = [];
    for (const [name, minutes] of [["Pat First", 10], ["Quinn Second", 20]] as const) {
      const patient = await patientNamed(name);
      const appointment = (await buildAppointmentFromNow(stage.app, { doctorId: first!.doctorId, clinicId, patientId: patient.patientId, fromNowMinutes: minutes })).id;
      entries.push((await staffCheckIn(stage.app, reception, clinicId, appointment)).body);
    }
    const [pat, quinn] = entries;
    const page = await open(reception, "Queue board");
    const firstWaiting = page.getByTestId(`board-column-${first!.doctorId}`).locator("ol > li");
    await expect.poll(() => firstWaiting.first().getAttribute("data-testid")).toBe(`board-entry-${pat.id}`);

    // Quinn to the front, with a reason.
    await page.getByRole("button", { name: "Manage A-002 Quinn Second" }).click();
    await page.getByLabel("Position (1 = next; empty clears)").fill("1");
    await page.getByLabel("Reason for the change").fill("Needs to leave early");
    await page.getByRole("button", { name: "Set position" }).click();
    await page.getByRole("status").getByText("A-002 moved to position 1.").waitFor();
    await expect.poll(() => firstWaiting.first().getAttribute("data-testid")).toBe(`board-entry-${quinn.id}`);

    // Pat handed over to the second doctor.
    await page.getByRole("button", { name: "Manage A-001 Pat First" }).click();
    await page.getByLabel("To doctor").selectOption(second!.doctorId);
    await page.getByRole("button", { name: "Reassign" }).click();
    await page.getByTestId(`board-column-${second!.doctorId}`).getByTestId(`board-entry-${pat.id}`).waitFor();

    // A colleague changes Quinn while this receptionist has the panel open: the save is refused.
    await page.getByRole("button", { name: "Manage A-002 Quinn Second" }).click();
    const current = (await call(stage.app, reception, "GET", `/clinics/${clinicId}/queue`)).body.items.find((e: { id: string }) => e.id === quinn.id);
    expect((await act(stage.app, reception, quinn.id, "reorder", { version: current.version, rank: 2, reason: "Colleague" })).status).toBe(200);
    await page.getByLabel("Reason for the change").fill("Back to the front");
    await page.getByRole("button", { name: "Set position" }).click();
    await page.getByRole("alert").getByText(/A-002 \(Quinn Second\) was changed by someone else/).waitFor();
    await page.getByTestId(`board-entry-${quinn.id}`).getByText("Position 2").waitFor();
  });

  it("reschedules on the day calendar by drag-and-drop and from the keyboard", async () => {
    const { clinicId, doctors: [doctor], reception } = await setup();
    const patient = await patientNamed("Dora Dragged");
    const appointment = (await buildAppointmentFromNow(stage.app, { doctorId: doctor!.doctorId, clinicId, patientId: patient.patientId, fromNowMinutes: 60, minutes: 30 })).id;
    const dropSlot = (await buildSlotFromNow(stage.app, { doctorId: doctor!.doctorId, clinicId, fromNowMinutes: 120, minutes: 30 })).id;
    const keySlot = (await buildSlotFromNow(stage.app, { doctorId: doctor!.doctorId, clinicId, fromNowMinutes: 180, minutes: 30 })).id;
    // A coloured service and tags on the target slot (colour + name + tag text on screen).
    const admin = await buildPerson(stage.app, "clinic_admin", { clinicIds: [clinicId] });
    const service = await call(stage.app, admin, "POST", `/clinics/${clinicId}/services`, { name: "Vaccination", durationMinutes: 30, colour: "#1f77b4" });
    expect(service.status).toBe(201);
    await query(stage.app, `update slot set service_id = ?, tags = ?::text[] where id = ?`, [service.body.id, "{child,fasting}", dropSlot]);
    const page = await open(reception, "Day calendar");
    await page.getByTestId(`calendar-slot-${dropSlot}`).getByText("#fasting").waitFor();
    await page.getByRole("list", { name: "Legend" }).getByText("Vaccination").waitFor();
    const block = page.getByTestId(`calendar-appointment-${appointment}`);
    await block.getByText("Dora Dragged").waitFor();
    await screenshot(page, "reception-calendar");

    const onSlot = (slotId: string) => page.locator(`[data-slot-id="${slotId}"]`, { hasText: "Dora Dragged" });
    // The calendar's block (the library's focusable event) around what it shows.
    const blockOf = (inner: Locator) => page.locator(".rbc-event", { has: inner });
    await block.dragTo(page.getByTestId(`calendar-slot-${dropSlot}`));
    await onSlot(dropSlot).waitFor({ timeout: 5_000 });
    const day = async () => (await call(stage.app, reception, "GET", `/clinics/${clinicId}/day?date=${await page.getByLabel("Date").inputValue()}`)).body.items;
    expect((await day()).map((a: { slotId: string; status: string }) => [a.slotId, a.status])).toEqual([[dropSlot, "scheduled"]]);

    // Keyboard: choose the appointment (Enter on its block), Move, then choose the other free slot and Move here.
    const chosen = page.getByTestId("calendar-chosen");
    await blockOf(onSlot(dropSlot)).press("Enter");
    await chosen.getByRole("button", { name: /^Move Dora Dragged/ }).press("Enter");
    await page.getByRole("status").getByText("Moving Dora Dragged: choose a free slot.").waitFor();
    await blockOf(page.getByTestId(`calendar-slot-${keySlot}`)).press("Enter");
    await chosen.getByRole("button", { name: /Move Dora Dragged here/ }).press("Enter");
    await onSlot(keySlot).waitFor({ timeout: 5_000 });
    expect((await day()).map((a: { slotId: string }) => a.slotId)).toEqual([keySlot]);

    // The week of one doctor: the same library's week view, the visit on its day.
    await page.getByRole("button", { name: "Week · one doctor" }).click();
    await page.getByRole("heading", { name: /^Week calendar/ }).waitFor();
    await onSlot(keySlot).waitFor({ timeout: 5_000 });
    expect(await page.locator(".rbc-time-header .rbc-header").count()).toBe(7);
    for (const [name, viewport] of Object.entries({ phone: { width: 390, height: 844 }, tablet: { width: 768, height: 1024 }, desktop: { width: 1366, height: 768 } })) {
      await page.setViewportSize(viewport);
      await screenshot(page, `reception-week-${name}`);
    }
  });

  /** A clinic (a London number, so the desk types local numbers) whose doctor charges 45.00, and its day calendar open. */
  async function phoneDesk() {
    const { clinicId, doctors: [doctor], reception } = await setup();
    await query(stage.app, `update clinic set phone = '+442071234567' where id = ?`, [clinicId]);
    await query(stage.app, `update doctor set consultation_fee_minor = 4500 where id = ?`, [doctor!.doctorId]);
    const zone = (await query<{ time_zone: string }>(stage.app, "select time_zone from clinic where id = ?", [clinicId]))[0]!.time_zone;
    return { clinicId, doctor: doctor!, reception, zone };
  }

  it("books a free slot for a patient who phones in: a paid visit is held and the payment link goes to them", { timeout: 60_000 }, async () => {
    const { clinicId, doctor, reception } = await phoneDesk();
    const slot = (await buildSlotFromNow(stage.app, { doctorId: doctor.doctorId, clinicId, fromNowMinutes: 90, minutes: 30 })).id;
    const page = await open(reception, "Day calendar");
    await page.getByTestId(`calendar-slot-${slot}`).click();
    await page.getByTestId("calendar-chosen").getByRole("button", { name: /^Book / }).click();
    const form = page.locator("form.rc-book");
    await form.getByLabel("New patient, or by phone number").check();
    await form.getByLabel("Patient name").fill("Pavel Phoned");
    await form.getByLabel("Phone", { exact: true }).fill("07700 900901");
    await form.getByText("Saved as +44 7700 900901").waitFor();
    for (const [name, viewport] of Object.entries({ phone: { width: 390, height: 844 }, tablet: { width: 768, height: 1024 }, desktop: { width: 1366, height: 768 } })) {
      await page.setViewportSize(viewport);
      await screenshot(page, `reception-book-by-phone-${name}`);
    }
    await form.getByRole("button", { name: "Book" }).click();
    await page.getByRole("status").getByText(/is held for Pavel Phoned: a paid visit\. The payment link went to them/).waitFor({ timeout: 15_000 });
    const [held] = await query<{ id: string; status: string; phone: string }>(
      stage.app,
      `select a.id, a.status, p.phone from appointment a join patient p on p.id = a.patient_id where a.slot_id = ?`,
      [slot],
    );
    expect(held).toMatchObject({ status: "pending", phone: "+447700900901" });
    expect(await query(stage.app, `select 1 from notification_outbox where template = 'payments.pay-link' and payload->>'appointmentId' = ?`, [held!.id])).not.toEqual([]);
    await page.context().close();
  });

  it("cancels a visit from the calendar with the reason the patient is told", { timeout: 60_000 }, async () => {
    const { clinicId, doctor, reception, zone } = await phoneDesk();
    const patient = await patientNamed("Cora Cancelled");
    const visit = (await buildAppointmentFromNow(stage.app, { doctorId: doctor.doctorId, clinicId, patientId: patient.patientId, fromNowMinutes: 26 * 60, minutes: 30 })).id;
    const page = await open(reception, "Day calendar");
    await page.getByLabel("Date").fill(localDateOf(new Date(Date.now() + 26 * 3_600_000), zone));
    await page.getByTestId(`calendar-appointment-${visit}`).click({ timeout: 15_000 });
    await page.getByTestId("calendar-chosen").getByRole("button", { name: /^Cancel Cora Cancelled/ }).click();
    const form = page.locator("form.rc-book");
    await form.getByLabel("Reason (the patient is told)").fill("The doctor is at a conference");
    await form.getByRole("button", { name: "Cancel appointment" }).click();
    await page.getByRole("status").getByText(/Cancelled Cora Cancelled/).waitFor({ timeout: 15_000 });
    expect(await query(stage.app, `select status, status_reason from appointment where id = ?`, [visit])).toEqual([{ status: "cancelled", status_reason: "The doctor is at a conference" }]);
    await page.context().close();
  });

  it("marks a visit whose time has passed a no-show, with what happened", { timeout: 60_000 }, async () => {
    const { clinicId, doctor, reception } = await phoneDesk();
    const missed = await patientNamed("Milo Missed");
    const past = (await buildAppointmentFromNow(stage.app, { doctorId: doctor.doctorId, clinicId, patientId: missed.patientId, fromNowMinutes: -40, minutes: 30 })).id;
    const page = await open(reception, "Day calendar");
    await page.getByTestId(`calendar-appointment-${past}`).click({ timeout: 15_000 });
    await page.getByTestId("calendar-chosen").getByRole("button", { name: /^No-show: Milo Missed/ }).click();
    const form = page.locator("form.rc-book");
    await form.getByRole("button", { name: "Mark no-show" }).click();
    await form.locator("input[aria-invalid=true]").waitFor();
    await form.getByLabel("What happened (kept on the patient's record)").fill("Did not come; no answer on the phone");
    await form.getByRole("button", { name: "Mark no-show" }).click();
    await page.getByRole("status").getByText(/Marked a no-show: Milo Missed/).waitFor({ timeout: 15_000 });
    expect(await query(stage.app, `select status, status_reason from appointment where id = ?`, [past])).toEqual([{ status: "no_show", status_reason: "Did not come; no answer on the phone" }]);
    await page.context().close();
  });

  it("the home page shows reception today's queue figures for their clinic", async () => {
    const { clinicId, reception } = await setup();
    await query(stage.app, `update clinic set name = 'Homepage Clinic' where id = ?`, [clinicId]);
    const page = await pageSignedIn(stage.browser, stage.app.url, reception.user.email!, { viewport: WIDE });
    const home = page.getByTestId("home-staff");
    await home.getByRole("heading", { name: "Today at Homepage Clinic" }).waitFor({ timeout: 10_000 });
    await home.getByText("Waiting").waitFor();
    await home.getByRole("link", { name: "Open the queue board" }).waitFor();
    await screenshot(page, "home-reception");
    await page.context().close();
  });
});
