/**
 * The doctor's day in the browser: booked appointments on the timeline, a check-in by reception
 * (through the API) appearing live, call next → start → finish and no-show moving patients through
 * their states (a second call while one is called names that patient), a second writer's change
 * turning the doctor's action into the conflict message, and the running-late banner appearing live
 * when the ETA job finds a consultation overrunning.
 */
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { recomputeEta } from "../../server/src/modules/queue/eta.service";
import { buildAppointmentFromNow, buildDoctor, buildMiddayClinic, buildNamedPatient, buildPerson, buildSlotFromNow } from "../support/factories";
import { act, staffCheckIn, walkIn } from "../support/api";
import { query } from "../support/db";
import { pageSignedIn, screenshot, useBrowserStage } from "../support/browser";

const LONG = { timeout: 10_000 };

describe("doctor: my day (browser)", () => {
  const stage = useBrowserStage();

  async function openDay(email: string): Promise<Page> {
    const page = await pageSignedIn(stage.browser, stage.app.url, email, { viewport: { width: 1100, height: 1000 } });
    await page.getByRole("link", { name: "My day", exact: true }).click();
    await page.getByRole("heading", { name: "My day" }).waitFor();
    await page.locator("main .live-indicator[data-status=live]").first().waitFor(LONG);
    return page;
  }

  const row = (page: Page, name: string) => page.getByTestId("timeline-patient").filter({ hasText: name });
  const statusOf = async (page: Page, name: string, status: string) => row(page, name).and(page.locator(`[data-status=${status}]`)).waitFor(LONG);

  it("shows the booked day, a live check-in, and moves patients through call, start, finish and no-show", async () => {
    const clinic = await buildMiddayClinic(stage.app);
    const doctor = await buildDoctor(stage.app, [clinic.id]);
    const reception = await buildPerson(stage.app, "receptionist", { clinicIds: [clinic.id] });
    const ann = await buildNamedPatient(stage.app, "Ann Aardvark");
    const bob = await buildNamedPatient(stage.app, "Bob Badger");
    const annAppointment = (await buildAppointmentFromNow(stage.app, { doctorId: doctor.doctorId, clinicId: clinic.id, patientId: ann.patientId, fromNowMinutes: 15 })).id;
    const bobAppointment = (await buildAppointmentFromNow(stage.app, { doctorId: doctor.doctorId, clinicId: clinic.id, patientId: bob.patientId, fromNowMinutes: 30 })).id;
    await buildSlotFromNow(stage.app, { doctorId: doctor.doctorId, clinicId: clinic.id, fromNowMinutes: 45 });
    const blocked = (await buildSlotFromNow(stage.app, { doctorId: doctor.doctorId, clinicId: clinic.id, fromNowMinutes: 90 })).id;
    await query(stage.app, `update slot set status = 'blocked', note = 'Team meeting' where id = ?`, [blocked]);

    const page = await openDay(doctor.user.email!);
    await statusOf(page, "Ann Aardvark", "booked");
    await statusOf(page, "Bob Badger", "booked");
    await page.getByTestId("timeline").getByText("Free · 1 slot").waitFor();
    await page.getByTestId("timeline").getByText("Blocked / time off · Team meeting").waitFor();
    await page.getByTestId("timeline").getByText("Break").first().waitFor();
    await page.getByText("Nobody is waiting.").first().waitFor();

    // Reception checks Ann in (another user, through the API): the doctor's screen follows live.
    expect((await staffCheckIn(stage.app, reception, clinic.id, annAppointment)).status).toBe(201);
    await statusOf(page, "Ann Aardvark", "checked_in");
    await page.getByTestId("waiting-list").getByText("Ann Aardvark").waitFor(LONG);
    await screenshot(page, "doctor-day");

    await page.getByLabel("Room (optional)").fill("Room 7");
    await page.getByRole("button", { name: "Call next" }).click();
    const current = page.getByTestId("current-patient");
    await current.filter({ hasText: "Called to Room 7" }).waitFor(LONG);
    expect(await current.getByLabel("Ticket A-001").textContent()).toBe("A-001");
    await statusOf(page, "Ann Aardvark", "called");

    await page.getByRole("button", { name: "Start A-001" }).click();
    await current.filter({ hasText: "In room" }).waitFor(LONG);
    await statusOf(page, "Ann Aardvark", "in_room");
    await page.getByRole("button", { name: "Finish A-001" }).click();
    await statusOf(page, "Ann Aardvark", "done");
    expect(await current.count()).toBe(0);

    // Bob is called and does not come.
    expect((await staffCheckIn(stage.app, reception, clinic.id, bobAppointment)).status).toBe(201);
    await page.getByTestId("waiting-list").getByText("Bob Badger").waitFor(LONG);
    await page.getByRole("button", { name: "Call next" }).click();
    await page.getByRole("button", { name: "No-show A-002" }).waitFor(LONG);
    // One called patient at a time: calling again names Bob instead of calling anyone.
    await page.getByRole("button", { name: "Call next" }).click();
    await page.getByRole("alert").filter({ hasText: "A-002 is already called: start, send back or mark no-show first" }).waitFor(LONG);
    for (const width of [390, 768, 1366]) {
      await page.setViewportSize({ width, height: 1000 });
      await screenshot(page, `doctor-already-called-${width}`);
    }
    await page.setViewportSize({ width: 1100, height: 1000 });
    await page.getByRole("button", { name: "No-show A-002" }).click();
    await statusOf(page, "Bob Badger", "no_show");
  });

  it("says so when someone else changed the patient first, and shows the refreshed queue", async () => {
    const clinic = await buildMiddayClinic(stage.app);
    const doctor = await buildDoctor(stage.app, [clinic.id]);
    const reception = await buildPerson(stage.app, "receptionist", { clinicIds: [clinic.id] });
    const walkInSlot = (await buildSlotFromNow(stage.app, { doctorId: doctor.doctorId, clinicId: clinic.id, fromNowMinutes: 5, kind: "walk_in" })).id;
    const carl = await walkIn(stage.app, reception, clinic.id, { newPatient: { name: "Carl Conflict", phone: "+447700911222" }, doctorId: doctor.doctorId });
    expect([carl.status, carl.body.slotId]).toEqual([201, walkInSlot]);

    const page = await openDay(doctor.user.email!);
    await statusOf(page, "Carl Conflict", "checked_in");
    await page.getByRole("button", { name: "Call next" }).click();
    await page.getByRole("button", { name: "Start W-001" }).waitFor(LONG);

    // Reception sends Carl back just before the doctor's "Start" reaches the server.
    await page.route("**/api/v1/queue-entries/*/start", async (route) => {
      const [entry] = await query<{ version: number }>(stage.app, `select version from queue_entry where id = ?`, [carl.body.id]);
      expect((await act(stage.app, reception, carl.body.id, "send-back", { version: entry!.version })).status).toBe(200);
      await route.continue();
    });
    await page.getByRole("button", { name: "Start W-001" }).click();
    await page.getByRole("alert").filter({ hasText: "changed by someone else" }).waitFor(LONG);
    await statusOf(page, "Carl Conflict", "checked_in");
    expect(await page.getByTestId("current-patient").count()).toBe(0);
  });

  it("shows the running-late banner live when the consultation in the room overruns", async () => {
    const clinic = await buildMiddayClinic(stage.app);
    const doctor = await buildDoctor(stage.app, [clinic.id]);
    const reception = await buildPerson(stage.app, "receptionist", { clinicIds: [clinic.id] });
    const rita = await buildNamedPatient(stage.app, "Rita Roomful");
    const dan = await buildNamedPatient(stage.app, "Dan Delayed");
    // Rita's 15-minute visit started 60 minutes ago; Dan was booked 20 minutes ago and is waiting.
    const ritaAppointment = (await buildAppointmentFromNow(stage.app, { doctorId: doctor.doctorId, clinicId: clinic.id, patientId: rita.patientId, fromNowMinutes: -60 })).id;
    const danAppointment = (await buildAppointmentFromNow(stage.app, { doctorId: doctor.doctorId, clinicId: clinic.id, patientId: dan.patientId, fromNowMinutes: -20 })).id;
    for (let minutes = -45; minutes < 0; minutes += 15) await buildSlotFromNow(stage.app, { doctorId: doctor.doctorId, clinicId: clinic.id, fromNowMinutes: minutes });
    expect((await staffCheckIn(stage.app, reception, clinic.id, ritaAppointment)).status).toBe(201);
    expect((await staffCheckIn(stage.app, reception, clinic.id, danAppointment)).status).toBe(201);
    const call = await stage.app.runtime.orm.em.fork().getConnection().execute<{ id: string }[]>(
      `update queue_entry set status = 'in_room', doctor_id = ?, called_at = now() - interval '61 minutes', started_at = now() - interval '60 minutes', version = version + 1
        where appointment_id = ? returning id`,
      [doctor.doctorId, ritaAppointment],
    );
    expect(call).toHaveLength(1);

    const page = await openDay(doctor.user.email!);
    await statusOf(page, "Dan Delayed", "checked_in");
    expect(await page.getByTestId("late-banner").count()).toBe(0);

    // The ETA job's run (what the worker does on a queue change or its periodic sweep).
    await recomputeEta(stage.app.runtime.context, { clinicId: clinic.id, doctorId: doctor.doctorId });
    const banner = page.getByTestId("late-banner");
    await banner.waitFor(LONG);
    expect(await banner.getByRole("heading").textContent()).toMatch(/Running \d+ min late/);
    await banner.getByText("running over its expected length").waitFor();
    await banner.getByRole("row").filter({ hasText: "Dan Delayed" }).filter({ hasText: "A-002" }).waitFor();
    await screenshot(page, "doctor-running-late");
  });
});
