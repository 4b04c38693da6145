/**
 * Clinic analytics are exact (real PostgreSQL; docs/analytics.md): a known history over three days
 * across the clock change of 25 October 2026 (Europe/London) — completed visits, a no-show, a
 * cancellation after booking, a cancelled hold that never became a booking, a reschedule, free and
 * blocked and walk-in and overbooked slots, queue waits and consultations, charges and refunds,
 * visible and hidden reviews, and visits just outside the range — and every figure of the reply is
 * asserted against the number that history gives. The trigger that dates a booking, the access rule
 * and bad input are tested too.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { analyticsChangedSchema, analyticsReplySchema, heatmapReplySchema, platformAnalyticsReplySchema, type AnalyticsReply } from "@clinic/shared";
import type { Socket } from "socket.io-client";
import { listen, settle, subscribe, useApp } from "../support/harness";
import { buildAppointment, buildClinic, buildDoctor, buildNamedPatient, buildPatient, buildPerson, buildSlot, type TestPerson } from "../support/factories";
import { call, hold } from "../support/api";
import { query } from "../support/db";
import { at, dayFromNow } from "../support/dates";

const [SAT, SUN, MON] = ["2026-10-24", "2026-10-25", "2026-10-26"];
const HOUR = 3_600_000;

describe("clinic analytics", () => {
  const app = useApp();
  let clinicId: string;
  let admin: TestPerson;
  let d1: TestPerson & { doctorId: string };
  let d2: TestPerson & { doctorId: string };
  const ids: Record<string, string> = {};
  const sockets: Socket[] = [];
  afterAll(() => {
    for (const socket of sockets) socket.disconnect();
  });
  let tickets = 0;

  /** A 30-minute regular slot; with a visit in `status` booked `leadHours` before its start, and its queue times (minutes from the start). */
  async function visit(
    name: string,
    doctor: { doctorId: string },
    start: Date,
    spec: {
      status?: "completed" | "no_show" | "scheduled" | "cancelled" | "pending-cancelled" | "rescheduled-away";
      leadHours?: number;
      queue?: { arrived: number; called: number; started: number; finished: number };
      slot?: "available" | "blocked";
      kind?: "walk_in";
      overbooked?: boolean;
    } = {},
  ) {
    const bookedSlot = spec.status && !["cancelled", "pending-cancelled", "rescheduled-away"].includes(spec.status);
    const slot = await buildSlot(app, { doctorId: doctor.doctorId, clinicId, start, minutes: 30, status: bookedSlot ? "booked" : "available", kind: spec.kind, overbooked: spec.overbooked });
    if (spec.slot === "blocked") await query(app, `update slot set status = 'blocked' where id = ?`, [slot.id]);
    ids[`slot:${name}`] = slot.id;
    if (!spec.status) return;
    const patient = await buildNamedPatient(app, `Patient ${name}`);
    const pending = spec.status === "pending-cancelled";
    const appointment = await buildAppointment(app, { slot, patientId: patient.patientId, status: pending ? "pending" : "scheduled" });
    ids[name] = appointment.id;
    const final = { "pending-cancelled": "cancelled", "rescheduled-away": "cancelled" }[spec.status as string] ?? spec.status;
    // A cancellation may carry no reason (a null must not hide it from the counts).
    const reason = spec.status === "rescheduled-away" ? "rescheduled" : null;
    await query(app, `update appointment set status = ?, status_reason = ? where id = ?`, [final, reason, appointment.id]);
    if (spec.leadHours !== undefined) {
      await query(app, `update appointment set scheduled_at = starts_at - make_interval(hours => ?) where id = ?`, [spec.leadHours, appointment.id]);
    }
    if (spec.queue) {
      const q = spec.queue;
      await query(
        app,
        `insert into queue_entry (id, clinic_id, doctor_id, patient_id, appointment_id, kind, service_day, ticket, status, arrived_at, called_at, started_at, finished_at, version, created_at, updated_at)
         values (gen_random_uuid(), ?, ?, ?, ?, 'appointment', ?::date, ?, 'done', ?, ?, ?, ?, 1, now(), now())`,
        [
          clinicId, doctor.doctorId, patient.patientId, appointment.id, localDay(start), `A-${String(++tickets).padStart(3, "0")}`,
          new Date(start.getTime() + q.arrived * 60_000), new Date(start.getTime() + q.called * 60_000),
          new Date(start.getTime() + q.started * 60_000), new Date(start.getTime() + q.finished * 60_000),
        ],
      );
    }
  }
  const localDay = (instant: Date) => new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/London" }).format(instant);
  /** A charge of the visit, or a refund of its charge. */
  const money = (appointment: string, kind: "charge" | "refund", amountMinor: number) =>
    query(
      app,
      `insert into payment_transaction (appointment_id, kind, cause, amount_minor, currency, charge_id)
       values (?, ?, ?, ?, 'GBP', (select c.id from payment_transaction c where c.appointment_id = ? and c.kind = 'charge' and ? = 'refund'))`,
      [ids[appointment], kind, kind === "charge" ? "booking" : "policy", amountMinor, ids[appointment], kind],
    );
  const review = (appointment: string, doctor: { doctorId: string }, stars: number, hidden = false) =>
    query(
      app,
      `insert into review (id, appointment_id, doctor_id, patient_id, clinic_id, stars, text, hidden_at, created_at, updated_at)
       select gen_random_uuid(), a.id, ?, a.patient_id, a.clinic_id, ?, '', ?, now(), now() from appointment a where a.id = ?`,
      [doctor.doctorId, stars, hidden ? new Date() : null, ids[appointment]],
    );

  beforeAll(async () => {
    clinicId = (await buildClinic(app)).id;
    admin = await buildPerson(app, "clinic_admin", { clinicIds: [clinicId] });
    d1 = await buildDoctor(app, [clinicId]);
    d2 = await buildDoctor(app, [clinicId]);
    await query(app, `update doctor set display_name = 'Dr One' where id = ?`, [d1.doctorId]);
    await query(app, `update doctor set display_name = 'Dr Two' where id = ?`, [d2.doctorId]);
    // Saturday (BST, UTC+1).
    await visit("satCompleted", d1, at(SAT, "09:00"), { status: "completed", leadHours: 72, queue: { arrived: -10, called: 5, started: 6, finished: 26 } });
    await visit("satNoShow", d1, at(SAT, "09:30"), { status: "no_show", leadHours: 24 });
    await visit("satFree", d1, at(SAT, "10:00"));
    await visit("satBlocked", d1, at(SAT, "10:30"), { slot: "blocked" });
    await visit("satMovedAway", d1, at(SAT, "11:00"), { status: "rescheduled-away", leadHours: 10 });
    // Sunday: 00:30 is still BST (the clocks go back at 02:00): it is Sunday's, not Saturday's, though it is Saturday in UTC.
    await visit("sunEarly", d1, at(SUN, "00:30"), { status: "completed", leadHours: 48, queue: { arrived: -10, called: -5, started: -4, finished: 6 } });
    await visit("sunCancelled", d1, at(SUN, "09:00"), { status: "cancelled", leadHours: 96 });
    await visit("sunTwo", d2, at(SUN, "10:00"), { status: "completed", leadHours: 24, queue: { arrived: -10, called: 15, started: 16, finished: 46 } });
    await visit("sunTwoFree", d2, at(SUN, "10:30"));
    await visit("sunWalkIn", d2, at(SUN, "11:00"), { kind: "walk_in" });
    await visit("sunOverbooked", d2, at(SUN, "11:30"), { overbooked: true });
    // Monday (GMT).
    await visit("monScheduled", d1, at(MON, "09:00"), { status: "scheduled", leadHours: 12 });
    await visit("monHold", d1, at(MON, "09:30"), { status: "pending-cancelled" });
    await visit("monMovedHere", d1, at(MON, "10:00"), { status: "scheduled", leadHours: 60 });
    // Outside the range on either side (local time).
    await visit("before", d1, at("2026-10-23", "23:30"), { status: "completed", leadHours: 1 });
    await visit("after", d1, at("2026-10-27", "00:10"), { status: "completed", leadHours: 1 });
    await money("satCompleted", "charge", 4500);
    await money("sunTwo", "charge", 6000);
    await money("sunTwo", "refund", 2000);
    await money("sunCancelled", "charge", 3000);
    await money("sunCancelled", "refund", 3000);
    await money("before", "charge", 9900);
    await review("satCompleted", d1, 5);
    await review("sunTwo", d2, 3);
    await review("sunEarly", d1, 1, true);
  });

  const read = async (person: TestPerson, params: string) => call(app, person, "GET", `/clinics/${clinicId}/analytics?${params}`);
  const figures = async (params = `from=${SAT}&to=${MON}`): Promise<AnalyticsReply> => {
    const reply = await read(admin, params);
    expect(reply.status, JSON.stringify(reply.body)).toBe(200);
    return analyticsReplySchema.parse(reply.body);
  };

  it("counts, rates, occupancy, waits, consultations, lead time, revenue and ratings of the clinic equal the history's", async () => {
    const all = await figures();
    expect(all).toMatchObject({ from: SAT, to: MON, timeZone: "Europe/London", bookings: 7, completed: 3, cancelled: 1, noShows: 1 });
    expect(all.cancellationRate).toBeCloseTo(1 / 7, 12);
    expect(all.noShowRate).toBeCloseTo(1 / 7, 12);
    // Regular, not overbooked, not blocked: 11 slots of 30 minutes, 6 of them booked.
    expect(all.occupancy).toBeCloseTo(180 / 330, 12);
    expect(all.waitMinutes).toEqual({ avg: 15, p50: 15, p90: 23 });
    expect(all.consultationMinutes).toEqual({ avg: 20, p50: 20 });
    // Lead times in days: 3, 1, 2, 4, 1, 0.5, 2.5.
    expect(all.leadTimeDays.p50).toBeCloseTo(2, 12);
    expect(all.revenue).toEqual({ grossMinor: 13_500, refundsMinor: 5_000, netMinor: 8_500, currency: "GBP" });
    expect(all.ratings).toEqual({ average: 4, count: 2 });
  });

  it("per doctor and per local day the same figures split exactly, and they add up to the clinic's", async () => {
    const all = await figures();
    const [one, two] = all.perDoctor;
    expect(one).toMatchObject({ doctorId: d1.doctorId, doctorName: "Dr One", bookings: 6, completed: 2, cancelled: 1, noShows: 1 });
    expect(one!.occupancy).toBeCloseTo(150 / 270, 12);
    expect(one!.waitMinutes).toEqual({ avg: 10, p50: 10, p90: 14 });
    expect(one!.consultationMinutes).toEqual({ avg: 15, p50: 15 });
    expect(one!.leadTimeDays.p50).toBeCloseTo(2.25, 12);
    expect(one!.revenue).toMatchObject({ grossMinor: 7_500, refundsMinor: 3_000, netMinor: 4_500 });
    expect(one!.ratings).toEqual({ average: 5, count: 1 });
    expect(two).toMatchObject({ doctorId: d2.doctorId, bookings: 1, completed: 1, cancelled: 0, noShows: 0, occupancy: 0.5 });
    expect(two!.waitMinutes).toEqual({ avg: 25, p50: 25, p90: 25 });
    expect(two!.revenue.netMinor).toBe(4_000);

    expect(all.series.map((day) => [day.date, day.bookings, day.completed, day.cancelled, day.noShows, day.netMinor])).toEqual([
      [SAT, 2, 1, 0, 1, 4_500],
      [SUN, 3, 2, 1, 0, 4_000],
      [MON, 2, 0, 0, 0, 0],
    ]);
    expect(all.series.map((day) => day.occupancy)).toEqual([0.5, 0.5, 60 / 90]);
    for (const key of ["bookings", "completed", "cancelled", "noShows"] as const) {
      expect(all.perDoctor.reduce((sum, d) => sum + d[key], 0)).toBe(all[key]);
      expect(all.series.reduce((sum, d) => sum + d[key], 0)).toBe(all[key]);
    }
  });

  it("a single day, a doctor's own view, the heatmap by weekday and hour in the clinic's zone", async () => {
    const sunday = await figures(`from=${SUN}&to=${SUN}`);
    expect([sunday.bookings, sunday.completed, sunday.cancelled, sunday.series.length]).toEqual([3, 2, 1, 1]);

    const own = await read(d1, `from=${SAT}&to=${MON}&doctorId=${d1.doctorId}`);
    expect(own.status).toBe(200);
    expect(analyticsReplySchema.parse(own.body)).toMatchObject({ bookings: 6, perDoctor: [{ doctorId: d1.doctorId }] });

    const heat = await call(app, admin, "GET", `/clinics/${clinicId}/analytics/heatmap?from=${SAT}&to=${MON}`);
    expect(heat.status).toBe(200);
    const cell = (weekday: number, hour: number) => heatmapReplySchema.parse(heat.body).cells.find((c) => c.weekday === weekday && c.hour === hour);
    // Saturday 09:00–10:00: two booked half-hours; 10:00–11:00 one free (the blocked one is not bookable); 11:00 freed by the move.
    expect(cell(6, 9)).toEqual({ weekday: 6, hour: 9, bookableMinutes: 60, bookedMinutes: 60, occupancy: 1 });
    expect(cell(6, 10)).toMatchObject({ bookableMinutes: 30, bookedMinutes: 0, occupancy: 0 });
    // Sunday 00:30 local is hour 0 of Sunday; Monday 09:00 has one of two booked.
    expect(cell(7, 0)).toMatchObject({ bookableMinutes: 30, bookedMinutes: 30 });
    expect(cell(1, 9)).toMatchObject({ bookableMinutes: 60, bookedMinutes: 30, occupancy: 0.5 });
    expect(cell(7, 11)).toBeUndefined();
  });

  it("the CSV export carries the same figures: the clinic, each doctor, each day", async () => {
    const response = await fetch(`${app.url}/api/v1/clinics/${clinicId}/analytics.csv?from=${SAT}&to=${MON}`, { headers: admin.headers });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/csv/);
    expect(response.headers.get("content-disposition")).toBe(`attachment; filename="analytics-${SAT}-to-${MON}.csv"`);
    const lines = (await response.text()).trimEnd().split("\r\n").map((line) => line.split(","));
    expect(lines[0]!.slice(0, 6)).toEqual(["scope", "name", "bookings", "completed", "cancelled", "no_shows"]);
    expect(lines[1]!.slice(0, 6)).toEqual(["clinic", `${SAT} to ${MON}`, "7", "3", "1", "1"]);
    expect(lines[1]!.slice(11)).toEqual(["13500", "5000", "8500", "GBP"]);
    expect(lines.slice(2, 4).map((l) => l.slice(0, 3))).toEqual([["doctor", "Dr One", "6"], ["doctor", "Dr Two", "1"]]);
    expect(lines.slice(4).map((l) => [l[0], l[1], l[2], l[13]])).toEqual([
      ["day", SAT, "2", "4500"],
      ["day", SUN, "3", "4000"],
      ["day", MON, "2", "0"],
    ]);
    const reception = await buildPerson(app, "receptionist", { clinicIds: [clinicId] });
    expect((await fetch(`${app.url}/api/v1/clinics/${clinicId}/analytics.csv?from=${SAT}&to=${MON}`, { headers: reception.headers })).status).toBe(403);
  });

  it("the platform overview: each clinic's counts, patients, doctors and money over UTC days; the sign-ups; platform admins only", async () => {
    const platform = await buildPerson(app, "platform_admin");
    expect((await call(app, admin, "GET", `/analytics/platform?from=${SAT}&to=${MON}`)).status).toBe(403);
    const reply = await call(app, platform, "GET", `/analytics/platform?from=${SAT}&to=${MON}`);
    expect(reply.status).toBe(200);
    const overview = platformAnalyticsReplySchema.parse(reply.body);
    // Sunday 00:30 BST is Saturday 23:30 UTC: still inside these UTC days, as are the others.
    expect(overview.clinics.find((c) => c.clinicId === clinicId)).toMatchObject({
      bookings: 7, completed: 3, cancelled: 1, noShows: 1, activePatients: 7, doctors: 2,
      revenue: { grossMinor: 13_500, refundsMinor: 5_000, netMinor: 8_500, currency: "GBP" },
    });
    expect(overview.totals.bookings).toBe(overview.clinics.reduce((sum, c) => sum + c.bookings, 0));
    // Sign-ups are counted by the accounts' creation: today's, against the table itself.
    const today = new Date().toISOString().slice(0, 10);
    const now = platformAnalyticsReplySchema.parse((await call(app, platform, "GET", `/analytics/platform?from=${today}&to=${today}`)).body);
    const [truth] = await query<{ patients: string; doctors: string }>(
      app,
      `select count(*) filter (where role = 'patient') as patients, count(*) filter (where role = 'doctor') as doctors from user_account where created_at >= ?::timestamptz and created_at < ?::timestamptz + interval '1 day'`,
      [`${today}T00:00:00Z`, `${today}T00:00:00Z`],
    );
    expect([now.totals.newPatients, now.totals.newDoctors]).toEqual([Number(truth!.patients), Number(truth!.doctors)]);
    expect(now.totals.newDoctors).toBeGreaterThanOrEqual(2);
  });

  it("live: a committed booking tells analytics:{clinicId} which local day changed; only those who may read analytics subscribe", async () => {
    const [watcher, desk] = await Promise.all([listen(app, admin.token, sockets), listen(app, (await buildPerson(app, "receptionist", { clinicIds: [clinicId] })).token, sockets)]);
    const topic = `analytics:${clinicId}`;
    expect((await subscribe(desk.socket, topic)).ok).toBe(false);
    const ack = (await subscribe(watcher.socket, topic)) as { ok: boolean; snapshot: unknown };
    expect(ack.ok).toBe(true);
    expect(ack.snapshot).toMatchObject({ clinicId });
    // A patient holds a slot at 23:30 London time on a day ahead: that is the day named (not UTC's).
    const day = dayFromNow(10);
    const slot = await buildSlot(app, { doctorId: d2.doctorId, clinicId, start: at(day, "23:30"), minutes: 30 });
    const patient = await buildPatient(app, { tier: "vise", relatedTo: d2.doctorId });
    expect((await hold(app, patient, { slotId: slot.id })).status).toBe(201);
    await settle(() => watcher.of(topic).some((event) => event.type === "analytics.changed"));
    const changed = analyticsChangedSchema.parse(watcher.of(topic).find((event) => event.type === "analytics.changed")!.data);
    expect(changed).toEqual({ clinicId, days: [day] });
  });

  it("a booking is dated by the database whatever wrote it: a confirmed hold gets its date, a cancelled hold never does", async () => {
    const start = new Date(Date.now() + 30 * 24 * HOUR);
    const slot = await buildSlot(app, { doctorId: d2.doctorId, clinicId, start, minutes: 30, status: "held" });
    const patient = await buildNamedPatient(app);
    const hold = await buildAppointment(app, { slot, patientId: patient.patientId, status: "pending" });
    const scheduledAt = async () => (await query<{ scheduled_at: Date | null }>(app, `select scheduled_at from appointment where id = ?`, [hold.id]))[0]!.scheduled_at;
    expect(await scheduledAt()).toBeNull();
    await query(app, `update appointment set status = 'scheduled' where id = ?`, [hold.id]);
    const first = await scheduledAt();
    expect(first).not.toBeNull();
    // Later changes keep the first date.
    await query(app, `update appointment set status = 'checked_in' where id = ?`, [hold.id]);
    expect(await scheduledAt()).toEqual(first);
  });

  it("who may read: the clinic's admins; a doctor only their own figures; bad ranges name the field and are 400", async () => {
    const reception = await buildPerson(app, "receptionist", { clinicIds: [clinicId] });
    expect((await read(reception, `from=${SAT}&to=${MON}`)).status).toBe(403);
    expect((await read(d1, `from=${SAT}&to=${MON}`)).status).toBe(403);
    expect((await read(d1, `from=${SAT}&to=${MON}&doctorId=${d2.doctorId}`)).status).toBe(403);
    for (const [params, field] of [
      [`from=${MON}&to=${SAT}`, "query.to"],
      [`from=2026-01-01&to=2027-06-01`, "query.to"],
      [`from=2026-02-30&to=${MON}`, "query.from"],
      [`from=${SAT}&to=${MON}&doctorId=nope`, "query.doctorId"],
    ]) {
      const reply = await read(admin, params!);
      expect(reply.status, params).toBe(400);
      expect(JSON.stringify(reply.body)).toContain(field);
    }
  });
});
