/**
 * Redis loses its data (FLUSHALL on a Redis server of this file's own) while holds, a waitlist offer
 * and planned reminders are live: the delayed hold-expiry and reminder jobs are gone. The worker
 * notices its schedulers gone and re-registers them, which runs the database sweeps at once (their
 * hourly schedule here would not): every lapsed hold and offer expires and is published, live holds
 * stay, and the reminder jobs are planned again as they were.
 */
import type { Job } from "bullmq";
import type { Socket } from "socket.io-client";
import { afterAll, describe, expect, it } from "vitest";
import { reminderJobId } from "../../server/src/modules/reminders/reminders.service";
import { reminderKinds } from "../../server/src/modules/reminders/reminder-plan";
import { createOwnRedisEnvironment, listen, startApiAndWorker, subscribe, useStarted, waitFor, type TestApp } from "../support/harness";
import { buildClinicService, buildClinicWithDoctor, buildPatient, buildSlots, type TestPerson } from "../support/factories";
import { buildClinicWithPaidDoctor, paidHold } from "../support/paid-visits";
import { call, hold } from "../support/api";
import { count, query, statusOf } from "../support/db";
import { at, dayFromNow } from "../support/dates";
import { freeByCancellation, join, offerFor } from "../waitlist/support";

const MINUTE = 60_000;

describe("timed transitions after Redis loses its data", () => {
  const environment = useStarted(() => createOwnRedisEnvironment());
  // The sweeps' own schedule is an hour away: only the worker noticing the loss can run them.
  const apps = useStarted(() =>
    startApiAndWorker({ RATE_LIMIT_MAX: "100000", LOG_LEVEL: "error", WORKER_SCHEDULE_CHECK_SECONDS: "1", LIFECYCLE_EVERY_SECONDS: "3600" }, environment),
  );
  const sockets: Socket[] = [];
  afterAll(() => {
    for (const socket of sockets) socket.disconnect();
  });

  /** Lets a hold's time run out now, in the database only (its delayed job does not know). */
  async function lapse(app: TestApp, appointmentId: string): Promise<void> {
    await query(app, `update appointment set hold_expires_at = now() - interval '1 second' where id = ?`, [appointmentId]);
    await query(app, `update slot set hold_expires_at = now() - interval '1 second' where id = (select slot_id from appointment where id = ?)`, [appointmentId]);
    await query(app, `update waitlist_offer set expires_at = now() - interval '1 second' where appointment_id = ?`, [appointmentId]);
  }

  async function holdSlot(app: TestApp, patient: TestPerson, body: Record<string, unknown>): Promise<string> {
    const reply = await hold(app, patient, body);
    expect(reply.status, JSON.stringify(reply.body)).toBe(201);
    return reply.body.id as string;
  }

  /** Each reminder job of the appointments as `{id, data, due}`, the due instant being when it will run. */
  async function reminderJobs(app: TestApp, appointmentIds: string[]) {
    const queue = app.runtime.queues.get("reminders");
    const jobs = await Promise.all(appointmentIds.flatMap((id) => reminderKinds.map((kind) => queue.getJob(reminderJobId(id, kind)))));
    return jobs.filter((job): job is Job => job !== undefined).map((job) => ({ id: job.id, data: job.data as unknown, due: job.timestamp + job.opts.delay! }));
  }

  it("every lapsed hold (free, paid, elastic) and waitlist offer expires and is published; live holds stay; reminder jobs come back", { timeout: 90_000 }, async () => {
    const { api } = apps;
    const { clinicId, doctor, reception } = await buildClinicWithDoctor(api);
    const patientOf = () => buildPatient(api, { tier: "vise", relatedTo: doctor.doctorId });
    const watcher = await listen(api, (await patientOf()).token, sockets);
    expect((await subscribe(watcher.socket, `slots:${doctor.doctorId}`)).ok).toBe(true);

    // Slot holds: two lapsed, one live.
    const slots = await buildSlots(api, { doctorId: doctor.doctorId, clinicId, count: 3, date: dayFromNow(5) });
    const [lapsedA, lapsedB, live] = await Promise.all(slots.map(async (slot) => holdSlot(api, await patientOf(), { slotId: slot.id })));
    // A paid hold whose payment window ran out, at another doctor.
    const paid = await buildClinicWithPaidDoctor(api);
    expect((await subscribe(watcher.socket, `slots:${paid.doctor.doctorId}`)).ok).toBe(true);
    const paidHoldId = (await paidHold(api, paid.patient, paid.slots[0]!.id)).id;
    // An elastic block's hold.
    const serviceId = await buildClinicService(api, clinicId, 20);
    const blockStart = at(dayFromNow(7), "09:00");
    const block = await call(api, reception, "POST", `/doctors/${doctor.doctorId}/elastic-blocks`, {
      clinicId,
      startsAt: blockStart.toISOString(),
      endsAt: new Date(blockStart.getTime() + 60 * MINUTE).toISOString(),
    });
    expect(block.status, JSON.stringify(block.body)).toBe(201);
    const elasticHold = await holdSlot(api, await patientOf(), { elastic: { blockId: block.body.id, start: blockStart.toISOString() }, serviceId });
    // A waitlist offer (the only patient waiting for that day), unanswered past its time.
    const [offered] = await buildSlots(api, { doctorId: doctor.doctorId, clinicId, count: 1, date: dayFromNow(8) });
    const waiting = await patientOf();
    const entry = await join(api, waiting, { doctorId: doctor.doctorId, from: dayFromNow(8), to: dayFromNow(8) });
    const me = await listen(api, waiting.token, sockets);
    expect((await subscribe(me.socket, "me")).ok).toBe(true);
    await freeByCancellation(api, offered!.id);
    const offer = await offerFor(api, entry.id, offered!.id);
    // Two booked visits with their reminders planned.
    const visitSlots = await buildSlots(api, { doctorId: doctor.doctorId, clinicId, count: 2, date: dayFromNow(6), from: "11:00" });
    const visits = await Promise.all(
      visitSlots.map(async (slot) => {
        const id = await holdSlot(api, await patientOf(), { slotId: slot.id });
        expect((await call(api, reception, "POST", `/appointments/${id}/confirm`)).status).toBe(200);
        return id;
      }),
    );
    const plannedReminders = await reminderJobs(api, visits);
    expect(plannedReminders.length).toBeGreaterThanOrEqual(visits.length);

    const lapsed = [lapsedA!, lapsedB!, paidHoldId, elasticHold, offer.appointment_id];
    for (const id of lapsed) await lapse(api, id);

    await api.runtime.redis.set("flush-marker", "1");
    await api.runtime.redis.flushall();
    expect(await api.runtime.redis.get("flush-marker")).toBeNull();
    expect(await reminderJobs(api, visits)).toEqual([]);

    // The worker's next check (within a second) re-registers the sweeps, which run at once.
    for (const id of lapsed) await waitFor(async () => (await statusOf(api, "appointment", id)) === "expired" || undefined, 30_000);
    await waitFor(async () => (await statusOf(api, "waitlist_offer", offer.id)) === "expired" || undefined, 30_000);
    for (const id of lapsed) {
      expect(await count(api, `select count(*) as n from audit_event where action = 'booking.appointment.expire' and entity_id = ?`, [id])).toBe(1);
    }
    expect(await statusOf(api, "appointment", live!)).toBe("pending");
    expect(await statusOf(api, "slot", slots[2]!.id)).toBe("held");
    expect(await statusOf(api, "waitlist_entry", entry.id)).toBe("waiting");

    // Published: the slot watcher sees each freed slot and the block, the waiting patient the offer's end.
    const expiredSlots = [slots[0]!.id, slots[1]!.id, paid.slots[0]!.id, offered!.id];
    await waitFor(() =>
      expiredSlots.every((slotId) => watcher.events.some((event) => event.type === "slot.expired" && (event.data as { slotId: string }).slotId === slotId)) || undefined,
    );
    await waitFor(() => watcher.events.some((event) => event.type === "elastic.expired" && (event.data as { blockId: string }).blockId === block.body.id) || undefined);
    await waitFor(() => me.events.some((event) => event.type === "waitlist.expired" && (event.data as { id: string }).id === offer.id) || undefined);
    for (const slotId of expiredSlots) expect(await statusOf(api, "slot", slotId)).toBe("available");

    // Every reminder job is back, due when it was.
    const replanned = await waitFor(async () => {
      const jobs = await reminderJobs(api, visits);
      return jobs.length === plannedReminders.length ? jobs : undefined;
    }, 30_000);
    expect(replanned.map(({ id, data }) => ({ id, data }))).toEqual(plannedReminders.map(({ id, data }) => ({ id, data })));
    replanned.forEach((job, i) => expect(Math.abs(job.due - plannedReminders[i]!.due)).toBeLessThan(5_000));
  });
});
