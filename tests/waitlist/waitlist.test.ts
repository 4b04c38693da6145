/**
 * The waitlist through a real api runtime and a real worker runtime on one database and Redis:
 * joining (validation, duplicates, access), offers made by the `waitlist-match` job when a slot
 * frees up or is created, accept and decline, priority and window matching, and concurrent matches.
 */
import { afterAll, describe, expect, it } from "vitest";
import type { Socket } from "socket.io-client";
import { waitlistEntryViewSchema } from "@clinic/shared";
import { WaitlistMatcher } from "../../server/src/modules/waitlist/waitlist.match";
import { jobResult, listen, subscribe, useApiAndWorker, waitFor } from "../support/harness";
import { buildClinicWithDoctor, buildPatient, buildPerson, buildSlots, weekdayRule } from "../support/factories";
import { call } from "../support/api";
import { count, inconsistencies, query, statusOf } from "../support/db";
import { dayFromNow, mondayIn } from "../support/dates";
import { freeByCancellation, join, offerFor, offersOf, twoInLine } from "./support";

describe("waitlist", () => {
  const { api, worker } = useApiAndWorker({ RATE_LIMIT_MAX: "100000", LOG_LEVEL: "error" });
  const sockets: Socket[] = [];
  const range = { from: dayFromNow(1), to: dayFromNow(10) };

  afterAll(async () => {
    for (const socket of sockets) socket.disconnect();
  });

  /** The outcome of the worker's match job for the slot's current state. */
  async function matchOutcome(slotId: string): Promise<string> {
    const [row] = await query<{ version: number }>(api, `select version from slot where id = ?`, [slotId]);
    return (await jobResult<{ outcome: string }>(api.runtime.queues.get("booking"), `waitlist-${slotId}-${row!.version}`)).outcome;
  }

  it("validates a join (400 naming the field), refuses duplicates (409) and hides other patients' entries", async () => {
    const { clinicId, doctor, reception } = await buildClinicWithDoctor(api);
    const patient = await buildPatient(api, { tier: "standard" });
    const base = { doctorId: doctor.doctorId, ...range };
    const bad = async (body: Record<string, unknown>) => {
      const reply = await call(api, patient, "POST", "/waitlist", body);
      return [reply.status, reply.body.code, reply.body.errors?.[0]?.field];
    };
    expect(await bad({ ...base, from: range.to, to: range.from })).toEqual([400, "VALIDATION_FAILED", "body.to"]);
    expect(await bad({ ...base, window: { start: "12:00", end: "09:00" } })).toEqual([400, "VALIDATION_FAILED", "body.window.end"]);
    expect(await bad({ ...base, window: { start: "9am", end: "12:00" } })).toEqual([400, "VALIDATION_FAILED", "body.window.start"]);
    expect(await bad({ ...base, from: dayFromNow(-10), to: dayFromNow(-5) })).toEqual([400, "VALIDATION_FAILED", "body.to"]);
    expect(await bad({ ...base, doctorId: "00000000-0000-4000-8000-000000000000" })).toEqual([404, "NOT_FOUND", "body.doctorId"]);
    expect((await call(api, patient, "POST", "/waitlist", { ...base, priority: 5 })).status).toBe(403);
    expect(await count(api, `select count(*) n from waitlist_entry where doctor_id = ?`, [doctor.doctorId])).toBe(0);

    const entry = await join(api, patient, { ...base, window: { start: "09:00", end: "12:00" } });
    expect(waitlistEntryViewSchema.parse(entry)).toMatchObject({ status: "waiting", clinicId, priority: 0, window: { start: "09:00", end: "12:00" }, offer: null });
    const overlapping = await call(api, patient, "POST", "/waitlist", { ...base, from: dayFromNow(5), to: dayFromNow(20) });
    expect([overlapping.status, overlapping.body.code]).toEqual([409, "WAITLIST_DUPLICATE"]);
    // Concurrent duplicates: exactly one gets in.
    const other = await buildPatient(api, { tier: "standard" });
    const twins = await Promise.all(Array.from({ length: 4 }, () => call(api, other, "POST", "/waitlist", base)));
    expect(twins.map((r) => r.status).sort()).toEqual([201, 409, 409, 409]);

    const mine = await call(api, patient, "GET", "/waitlist?scope=mine");
    expect(mine.body.items.map((e: { id: string }) => e.id)).toEqual([entry.id]);
    const staffList = await call(api, reception, "GET", `/waitlist?clinicId=${clinicId}`);
    expect(staffList.body.items).toHaveLength(2);
    const stranger = await buildPerson(api, "receptionist", { clinicIds: [(await buildClinicWithDoctor(api)).clinicId] });
    expect((await call(api, stranger, "GET", `/waitlist?clinicId=${clinicId}`)).status).toBe(403);
    expect((await call(api, other, "DELETE", `/waitlist/${entry.id}`)).status).toBe(404);
    expect((await call(api, stranger, "DELETE", `/waitlist/${entry.id}`)).status).toBe(403);
    const left = await call(api, patient, "DELETE", `/waitlist/${entry.id}`);
    expect([left.status, left.body.status]).toEqual([200, "left"]);
    expect(await count(api, `select count(*) n from audit_event where entity_id = ? and action like 'waitlist.entry.%'`, [entry.id])).toBe(2);
  });

  it("offers a freed slot, and accepting schedules it (slot booked, entry booked, me events on a real socket)", async () => {
    const { clinicId, doctor } = await buildClinicWithDoctor(api);
    const [slot] = await buildSlots(api, { doctorId: doctor.doctorId, clinicId, count: 1 });
    const patient = await buildPatient(api, { tier: "vise", relatedTo: doctor.doctorId });
    const me = await listen(api, patient.token, sockets);
    expect((await subscribe(me.socket, "me")).ok).toBe(true);
    const entry = await join(api, patient, { doctorId: doctor.doctorId, ...range });

    await freeByCancellation(api, slot!.id);
    const offer = await offerFor(api, entry.id, slot!.id);
    expect(offer.status).toBe("offered");
    expect(await statusOf(api, "slot", slot!.id)).toBe("held");
    const [appointment] = await query<{ status: string; patient_id: string; hold_expires_at: Date }>(api, `select * from appointment where id = ?`, [offer.appointment_id]);
    expect(appointment).toMatchObject({ status: "pending", patient_id: patient.patientId });
    // Held for the offer window (900 s by default), with the booking's own hold-expiry job.
    expect(new Date(appointment!.hold_expires_at).getTime() - Date.now()).toBeGreaterThan(800_000);
    expect((await waitFor(() => api.runtime.queues.get("booking").getJob(`hold-${offer.appointment_id}`))).name).toBe("hold-expiry");
    const [notice] = await query<{ payload: { when: string; until: string } }>(api, `select payload from notification_outbox where template = 'waitlist.offered' and user_id = ? and channel = 'in_app'`, [patient.user.id]);
    expect(notice?.payload.when).toMatch(/\d{2}:\d{2}/);
    await waitFor(() => me.of(`me:${patient.user.id}`).some((e) => e.type === "waitlist.offered" && (e.data as { id: string }).id === offer.id));
    // A client that reconnects finds the live offer in the `me` snapshot.
    const reconnected = await listen(api, patient.token, sockets);
    const resync = (await subscribe(reconnected.socket, "me")) as { snapshot: { waitlist: { id: string; offer: { id: string } | null }[] } };
    expect(resync.snapshot.waitlist.map((e) => [e.id, e.offer?.id])).toEqual([[entry.id, offer.id]]);
    const listed = await call(api, patient, "GET", "/waitlist?scope=mine");
    expect(listed.body.items[0]).toMatchObject({ status: "offered", offer: { id: offer.id, slotId: slot!.id } });

    const accepted = await call(api, patient, "POST", `/waitlist/offers/${offer.id}/accept`);
    expect(accepted.body).toMatchObject({ appointmentId: offer.appointment_id, appointmentStatus: "scheduled", next: null, offer: { status: "accepted" } });
    expect(await statusOf(api, "appointment", offer.appointment_id)).toBe("scheduled");
    expect(await statusOf(api, "slot", slot!.id)).toBe("booked");
    expect(await statusOf(api, "waitlist_entry", entry.id)).toBe("booked");
    await waitFor(() => me.of(`me:${patient.user.id}`).some((e) => e.type === "waitlist.accepted"));
    expect(me.of(`me:${patient.user.id}`).some((e) => e.type === "appointment.confirmed")).toBe(true);
    const again = await call(api, patient, "POST", `/waitlist/offers/${offer.id}/accept`);
    expect([again.status, again.body.code]).toEqual([409, "OFFER_CLOSED"]);
    expect(await inconsistencies(api, doctor.doctorId)).toEqual({ doubles: 0, mismatched: [], overlapping: 0 });
  });

  it("a paid patient's accept answers next=pay and leaves the hold pending", async () => {
    const { clinicId, doctor } = await buildClinicWithDoctor(api);
    const [slot] = await buildSlots(api, { doctorId: doctor.doctorId, clinicId, count: 1 });
    const patient = await buildPatient(api, { tier: "standard" });
    const entry = await join(api, patient, { doctorId: doctor.doctorId, ...range });
    await freeByCancellation(api, slot!.id);
    const offer = await offerFor(api, entry.id, slot!.id);
    const accepted = await call(api, patient, "POST", `/waitlist/offers/${offer.id}/accept`);
    expect(accepted.body).toMatchObject({ appointmentStatus: "pending", next: "pay" });
    expect(await statusOf(api, "slot", slot!.id)).toBe("held");
    expect(await statusOf(api, "waitlist_offer", offer.id)).toBe("accepted");
  });

  it("declining frees the slot and the next patient gets it; the decliner waits again but is not offered it twice", async () => {
    const { slot, first, second, firstEntry, secondEntry, me } = await twoInLine(api, range, sockets);

    await freeByCancellation(api, slot.id);
    const offer = await offerFor(api, firstEntry.id, slot.id);
    const declined = await call(api, first, "POST", `/waitlist/offers/${offer.id}/decline`);
    expect([declined.status, declined.body.status]).toEqual([200, "declined"]);
    expect(await statusOf(api, "appointment", offer.appointment_id)).toBe("cancelled");
    expect(await statusOf(api, "waitlist_entry", firstEntry.id)).toBe("waiting");
    await waitFor(() => me.of(`me:${first.user.id}`).some((e) => e.type === "waitlist.declined"));

    const next = await offerFor(api, secondEntry.id, slot.id);
    expect(next.status).toBe("offered");
    expect(await statusOf(api, "slot", slot.id)).toBe("held");
    // The second declines too: nobody is left who has not had this slot, so it stays free.
    await call(api, second, "POST", `/waitlist/offers/${next.id}/decline`);
    expect(await matchOutcome(slot.id)).toBe("nobody");
    expect(await statusOf(api, "slot", slot.id)).toBe("available");
    expect((await offersOf(api, `o.slot_id = ?`, [slot.id])).map((o) => o.status)).toEqual(["declined", "declined"]);
  });

  it("offers in priority order, then joining order, and skips entries whose window or service does not fit", async () => {
    const { clinicId, doctor, reception } = await buildClinicWithDoctor(api);
    // 09:00–09:15 local.
    const [slot] = await buildSlots(api, { doctorId: doctor.doctorId, clinicId, count: 1 });
    const early = await buildPatient(api, { tier: "vise", relatedTo: doctor.doctorId });
    const urgent = await buildPatient(api, { tier: "vise", relatedTo: doctor.doctorId });
    const afternoon = await buildPatient(api, { tier: "vise", relatedTo: doctor.doctorId });
    const otherService = await buildPatient(api, { tier: "vise", relatedTo: doctor.doctorId });
    const [service] = await query<{ id: string }>(
      api,
      `insert into clinic_service (id, clinic_id, name, duration_minutes, colour, price_minor, currency, payment_required, active, created_at, updated_at)
       values (gen_random_uuid(), ?, 'Scan', 15, '#336699', 0, 'GBP', false, true, now(), now()) returning id`,
      [clinicId],
    );
    await query(api, `update slot set service_id = ? where id = ?`, [service!.id, slot!.id]);
    const [otherServiceId] = await query<{ id: string }>(
      api,
      `insert into clinic_service (id, clinic_id, name, duration_minutes, colour, price_minor, currency, payment_required, active, created_at, updated_at)
       values (gen_random_uuid(), ?, 'Other', 15, '#336699', 0, 'GBP', false, true, now(), now()) returning id`,
      [clinicId],
    );
    await join(api, early, { doctorId: doctor.doctorId, ...range, window: { start: "08:30", end: "09:15" } });
    await join(api, reception, { doctorId: doctor.doctorId, ...range, window: { start: "14:00", end: "17:00" }, priority: 10, patientId: afternoon.patientId });
    await join(api, reception, { doctorId: doctor.doctorId, ...range, priority: 9, serviceId: otherServiceId!.id, patientId: otherService.patientId });
    const urgentEntry = await join(api, reception, { doctorId: doctor.doctorId, ...range, priority: 5, patientId: urgent.patientId, serviceId: service!.id });
    const listed = await call(api, reception, "GET", `/waitlist?doctorId=${doctor.doctorId}`);
    expect(listed.body.items.map((e: { priority: number }) => e.priority)).toEqual([10, 9, 5, 0]);

    await freeByCancellation(api, slot!.id);
    const offer = await offerFor(api, urgentEntry.id, slot!.id);
    expect(offer.patient_id).toBe(urgent.patientId);
    expect(await offersOf(api, `o.slot_id = ?`, [slot!.id])).toHaveLength(1);
  });

  it("new availability from scheduling (an availability rule) offers one of its slots, one live offer per entry", async () => {
    const { clinicId, doctor, reception } = await buildClinicWithDoctor(api);
    const patient = await buildPatient(api, { tier: "vise", relatedTo: doctor.doctorId });
    const monday = mondayIn(1);
    const entry = await join(api, patient, { doctorId: doctor.doctorId, from: monday, to: monday, window: { start: "10:00", end: "11:00" } });
    const rule = await call(api, reception, "POST", `/doctors/${doctor.doctorId}/availability-rules`, weekdayRule(clinicId));
    expect(rule.status, JSON.stringify(rule.body)).toBe(201);
    const offer = await waitFor(async () => (await offersOf(api, `o.entry_id = ?`, [entry.id]))[0]);
    const [slot] = await query<{ local: string }>(api, `select to_char(starts_at at time zone 'Europe/London', 'YYYY-MM-DD HH24:MI') as local from slot where id = ?`, [offer.slot_id]);
    expect(["10:00", "10:30"].map((t) => `${monday} ${t}`)).toContain(slot!.local);
    // Both fitting slots were matched; the entry has one offer, the other slot stays free.
    await waitFor(async () => (await api.runtime.queues.get("booking").getJobCounts("waiting", "active", "delayed")).waiting === 0 || undefined);
    await waitFor(async () => (await api.runtime.queues.get("booking").getJobCounts("active")).active === 0 || undefined);
    expect(await offersOf(api, `o.entry_id = ?`, [entry.id])).toHaveLength(1);
    expect(await count(api, `select count(*) n from slot where doctor_id = ? and status = 'held'`, [doctor.doctorId])).toBe(1);
  });

  it("with nobody waiting who fits, a freed slot stays available", async () => {
    const { clinicId, doctor } = await buildClinicWithDoctor(api);
    const [slot] = await buildSlots(api, { doctorId: doctor.doctorId, clinicId, count: 1 });
    const patient = await buildPatient(api, { tier: "vise", relatedTo: doctor.doctorId });
    await join(api, patient, { doctorId: doctor.doctorId, ...range, window: { start: "15:00", end: "16:00" } });
    await freeByCancellation(api, slot!.id);
    expect(await matchOutcome(slot!.id)).toBe("nobody");
    expect(await statusOf(api, "slot", slot!.id)).toBe("available");
  });

  it("concurrent matches for one slot make one offer; slots freeing at once give one entry one live offer", async () => {
    const { clinicId, doctor } = await buildClinicWithDoctor(api);
    const free = await buildSlots(api, { doctorId: doctor.doctorId, clinicId, count: 5 });
    const [target, ...others] = free;
    const patients = await Promise.all([0, 1, 2].map(() => buildPatient(api, { tier: "vise", relatedTo: doctor.doctorId })));
    const entries = [];
    for (const patient of patients) entries.push(await join(api, patient, { doctorId: doctor.doctorId, ...range }));

    // One slot, many matchers: called directly on the api and worker runtimes, and queued to the worker.
    const matchers = [new WaitlistMatcher(api.runtime.context), new WaitlistMatcher(worker.runtime.context)];
    const queued = await Promise.all([0, 1, 2].map((i) => api.runtime.queues.get("booking").add("waitlist-match", { slotId: target!.id }, { jobId: `race-${target!.id}-${i}` })));
    const direct = await Promise.allSettled(Array.from({ length: 6 }, (_, i) => matchers[i % 2]!.match(target!.id)));
    for (const job of queued) await waitFor(async () => ["completed", "failed", "delayed"].includes(await job.getState()) || undefined);
    expect(direct.filter((r) => r.status === "fulfilled" && r.value === "offered").length).toBeLessThanOrEqual(1);
    expect(await offersOf(api, `o.slot_id = ?`, [target!.id])).toHaveLength(1);
    const [winner] = await offersOf(api, `o.slot_id = ?`, [target!.id]);
    expect(winner!.entry_id).toBe(entries[0]!.id);

    // Four slots free at once for the two entries left: each gets exactly one live offer, two slots stay free.
    const outcomes = await Promise.allSettled(others.flatMap((slot, i) => [matchers[i % 2]!.match(slot.id), matchers[(i + 1) % 2]!.match(slot.id)]));
    expect(outcomes.filter((r) => r.status === "fulfilled" && r.value === "offered")).toHaveLength(2);
    const live = await offersOf(api, `o.status = 'offered' and e.doctor_id = ?`, [doctor.doctorId]);
    expect(live.map((o) => o.entry_id).sort()).toEqual(entries.map((e) => e.id).sort());
    expect(new Set(live.map((o) => o.slot_id)).size).toBe(3);
    expect(await count(api, `select count(*) n from slot where doctor_id = ? and status = 'available'`, [doctor.doctorId])).toBe(2);
    expect(await inconsistencies(api, doctor.doctorId)).toEqual({ doubles: 0, mismatched: [], overlapping: 0 });
  });
});
