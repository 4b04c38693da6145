/**
 * The waiting-room display in a real browser against the real server: a screen opened with a
 * display token shows the clinic's feed, and a doctor's call-next appears on it (announcement and
 * "now serving") within a second, pushed over the socket.
 */
import type { Page } from "playwright-core";
import { beforeAll, describe, expect, it } from "vitest";
import { topics, type DisplayCalled, type DisplaySnapshot, type RealtimeEventData, type RealtimeEventName } from "@clinic/shared";
import { topicStateKey } from "../../server/src/platform/events";
import { buildAppointmentFromNow, buildDoctor, buildMiddayClinic, buildNamedPatient, buildPerson, type TestPerson } from "../support/factories";
import { call, callNext, staffCheckIn, startAndFinish } from "../support/api";
import { query } from "../support/db";
import { screenshot, useBrowserStage } from "../support/browser";

describe("waiting-room display (browser)", () => {
  const stage = useBrowserStage();
  let clinicId: string;
  let admin: TestPerson;
  let reception: TestPerson;
  let doctor: TestPerson & { doctorId: string };

  beforeAll(async () => {
    clinicId = (await buildMiddayClinic(stage.app)).id;
    admin = await buildPerson(stage.app, "clinic_admin", { clinicIds: [clinicId] });
    reception = await buildPerson(stage.app, "receptionist", { clinicIds: [clinicId] });
    doctor = await buildDoctor(stage.app, [clinicId]);
    await query(stage.app, `update doctor set display_name = 'Dr Meera Sen' where id = ?`, [doctor.doctorId]);
  }, 120_000);

  async function openDisplay(): Promise<Page> {
    const created = await call(stage.app, admin, "POST", `/clinics/${clinicId}/display-tokens`, { name: "Lobby TV" });
    expect(created.status).toBe(201);
    const page = await (await stage.browser.newContext({ viewport: { width: 1600, height: 900 } })).newPage();
    await page.goto(`${stage.app.url}/display?clinic=${clinicId}#token=${created.body.token as string}`);
    await page.locator(".live-indicator[data-status=live]").waitFor({ timeout: 10_000 });
    return page;
  }

  it("shows the feed and a called ticket within a second of call-next", async () => {
    const patient = await buildNamedPatient(stage.app);
    const appointmentId = (await buildAppointmentFromNow(stage.app, { doctorId: doctor.doctorId, clinicId, patientId: patient.patientId, fromNowMinutes: 5 })).id;
    expect((await staffCheckIn(stage.app, reception, clinicId, appointmentId)).status).toBe(201);

    const page = await openDisplay();
    // The token left the address bar for sessionStorage.
    expect(page.url()).not.toContain("dsp_");
    await expect.poll(() => page.getByTestId("next").textContent(), { timeout: 5_000 }).toContain("A-001");
    const code = await page.getByTestId("check-in-code").textContent();
    expect(code).toMatch(/^[0-9A-Z]{8}$/);
    await page.getByRole("img", { name: `QR code of today's check-in code ${code}` }).waitFor();
    // Anonymised: the full name never reaches the screen.
    expect(await page.locator("body").textContent()).not.toContain(patient.name);
    await screenshot(page, "display-waiting");

    const reply = await callNext(stage.app, doctor, doctor.doctorId, { clinicId, room: "Room 7" });
    expect(reply.status).toBe(200);
    await page.getByTestId("announced-ticket").filter({ hasText: "A-001" }).waitFor({ timeout: 1_000 });
    await page.getByTestId("now-serving").filter({ hasText: "A-001" }).waitFor({ timeout: 1_000 });
    expect(await page.getByTestId("now-serving").textContent()).toContain("Room 7");
    await screenshot(page, "display-called");
    await page.context().close();
    // The doctor sees the patient through: a doctor has one called patient, and the next test calls again.
    await startAndFinish(stage.app, doctor, reply.body.entry);
  });

  it("reconnects by itself after the server drops it and resyncs what it missed", async () => {
    const patient = await buildNamedPatient(stage.app);
    const appointmentId = (await buildAppointmentFromNow(stage.app, { doctorId: doctor.doctorId, clinicId, patientId: patient.patientId, fromNowMinutes: 10 })).id;
    const entry = await staffCheckIn(stage.app, reception, clinicId, appointmentId);
    expect(entry.status).toBe(201);
    const ticket = entry.body.ticket as string;
    const page = await openDisplay();
    await expect.poll(() => page.getByTestId("next").textContent(), { timeout: 5_000 }).toContain(ticket);

    // As on a node's shutdown: every socket is disconnected by the server.
    stage.app.runtime.realtime!.disconnectAll();
    await page.locator(".live-indicator[data-status=reconnecting]").waitFor({ timeout: 5_000 });
    expect((await callNext(stage.app, doctor, doctor.doctorId, { clinicId, room: "Room 2" })).status).toBe(200);

    await page.locator(".live-indicator[data-status=live]").waitFor({ timeout: 10_000 });
    await page.getByTestId("now-serving").filter({ hasText: ticket }).waitFor({ timeout: 5_000 });
    await page.context().close();
  });

  it("applies feeds in seq order, keeps the newest asOf, and resyncs from the snapshot on a seq gap", async () => {
    const page = await openDisplay();
    const topic = topics.display(clinicId);
    const real = async () => (await call(stage.app, admin, "GET", `/clinics/${clinicId}/display`)).body as DisplaySnapshot;
    const base = await real();
    const fake = (ticket: string, hoursAhead: number): DisplaySnapshot => ({
      ...base,
      next: [{ ticket, maskedName: "X. Y.", room: null, doctorName: null, status: "waiting", estimatedWaitMinutes: 5, expectedAt: new Date(Date.now() + 5 * 60_000).toISOString() }],
      asOf: new Date(Date.now() + hoursAhead * 3_600_000).toISOString(),
    });
    const shown = () => page.locator("main").textContent();
    const publish = <K extends RealtimeEventName>(type: K, data: RealtimeEventData<K>) => stage.app.runtime.events.publish(topic, type, data);

    await publish("display.updated", fake("Z-888", 1));
    await expect.poll(shown, { timeout: 5_000 }).toContain("Z-888");
    // The expected time as the board and the patient see it, with the minutes left.
    expect(await page.getByTestId("next").locator(".ticket-wait").first().textContent()).toMatch(/^\d{1,2}:\d{2}( [AP]M)? · 5 min$/);
    // An overtaken feed (older asOf) is dropped; the announcement after it proves it was processed.
    await publish("display.updated", fake("Z-777", 0));
    const called: DisplayCalled = { ticket: "Z-666", maskedName: "X. Y.", room: "Room 1", doctorName: null, calledAt: new Date().toISOString() };
    await publish("display.called", called);
    await page.getByTestId("announced-ticket").filter({ hasText: "Z-666" }).waitFor({ timeout: 5_000 });
    expect(await shown()).toContain("Z-888");
    expect(await shown()).not.toContain("Z-777");

    // A lost event (the topic's seq moves on without a delivery): the next one reveals the gap, the
    // screen subscribes again and replaces its state with the real feed.
    await stage.app.runtime.redis.hincrby(topicStateKey(stage.app.runtime.config.redis.prefix, topic), "seq", 1);
    await publish("display.updated", fake("Z-555", 2));
    await expect.poll(async () => /Z-(888|555)/.test((await shown()) ?? ""), { timeout: 5_000 }).toBe(false);
    await page.locator(".live-indicator[data-status=live]").waitFor();
    await page.context().close();
  });

  it("says the screen is not set up when its token is revoked", async () => {
    const page = await openDisplay();
    const [token] = await query<{ id: string }>(stage.app, `select id from display_token where clinic_id = ? and revoked_at is null order by created_at desc limit 1`, [clinicId]);
    expect((await call(stage.app, admin, "DELETE", `/display-tokens/${token!.id}`)).status).toBe(200);
    await page.locator(".live-indicator[data-status=offline]").waitFor({ timeout: 5_000 });
    // A revoked screen stops showing the queue and says why.
    await page.getByRole("alert").filter({ hasText: "not set up" }).waitFor();
    expect(await page.getByTestId("check-in-code").count()).toBe(0);
    await screenshot(page, "display-revoked");
    await page.context().close();
  });
});
