/**
 * Waitlist offers that time out, with a 2-second offer window (WAITLIST_OFFER_SECONDS): the booking's
 * own hold-expiry job, run by a real worker runtime, expires the hold; the freed slot's match job
 * closes the offer as expired and offers the slot to the next patient. Accepting races the timeout.
 * Without that job (lost with Redis's data) the offer sweep closes the offer, once.
 */
import { afterAll, describe, expect, it } from "vitest";
import type { Socket } from "socket.io-client";
import { BookingService } from "../../server/src/modules/booking/booking.service";
import { closeEndedOffers } from "../../server/src/modules/waitlist/waitlist.match";
import { listen, subscribe, useApiAndWorker, waitFor, type TestApp } from "../support/harness";
import { buildClinicWithDoctor, buildPatient, buildSlots } from "../support/factories";
import { call } from "../support/api";
import { count, fork, inconsistencies, query, statusOf } from "../support/db";
import { dayFromNow } from "../support/dates";
import { freeByCancellation, join, offerFor, twoInLine } from "./support";

describe("waitlist offer timeout", () => {
  // The sweeps' schedule is an hour away: the sweep test runs its own.
  const { api, worker } = useApiAndWorker({ RATE_LIMIT_MAX: "100000", LOG_LEVEL: "error", WAITLIST_OFFER_SECONDS: "2", LIFECYCLE_EVERY_SECONDS: "3600" });
  const sockets: Socket[] = [];
  const range = { from: dayFromNow(1), to: dayFromNow(10) };

  afterAll(async () => {
    for (const socket of sockets) socket.disconnect();
  });

  it("an unanswered offer expires and the next patient is offered the slot; accepting afterwards is 409 OFFER_EXPIRED", async () => {
    const { doctor, slot, first, firstEntry, secondEntry, me } = await twoInLine(api, range, sockets);

    await freeByCancellation(api, slot.id);
    const offer = await offerFor(api, firstEntry.id, slot.id);
    await waitFor(() => me.of(`me:${first.user.id}`).some((e) => e.type === "waitlist.offered"));

    // Nobody answers: the worker's hold-expiry job frees the slot, the match job passes it on.
    const next = await offerFor(api, secondEntry.id, slot.id);
    expect(await statusOf(api, "waitlist_offer", offer.id)).toBe("expired");
    expect(await statusOf(api, "appointment", offer.appointment_id)).toBe("expired");
    expect(await statusOf(api, "waitlist_entry", firstEntry.id)).toBe("waiting");
    expect(next.appointment_id).not.toBe(offer.appointment_id);
    await waitFor(() => me.of(`me:${first.user.id}`).some((e) => e.type === "waitlist.expired" && (e.data as { id: string }).id === offer.id));

    const late = await call(api, first, "POST", `/waitlist/offers/${offer.id}/accept`);
    expect([late.status, late.body.code]).toEqual([409, "OFFER_EXPIRED"]);
    expect(await inconsistencies(api, doctor.doctorId)).toEqual({ doubles: 0, mismatched: [], overlapping: 0 });
  }, 30_000);

  it("accept racing the timeout ends in exactly one outcome", async () => {
    const booking = new BookingService(worker.runtime.context);
    const jitters = [-500, -200, -80, -30, 0, 30];
    const runs = await Promise.all(
      jitters.map(async (jitter) => {
        const { clinicId, doctor } = await buildClinicWithDoctor(api);
        const [slot] = await buildSlots(api, { doctorId: doctor.doctorId, clinicId, count: 1 });
        const patient = await buildPatient(api, { tier: "vise", relatedTo: doctor.doctorId });
        const entry = await join(api, patient, { doctorId: doctor.doctorId, ...range });
        await freeByCancellation(api, slot!.id);
        const offer = await offerFor(api, entry.id, slot!.id);
        const [row] = await query<{ expires_at: Date }>(api, `select expires_at from waitlist_offer where id = ?`, [offer.id]);
        const wait = new Date(row!.expires_at).getTime() - Date.now();
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, wait + jitter)));
        // The accept, the worker's delayed job and a direct expiry all reach for the hold at once.
        const [accepted] = await Promise.all([
          call(api, patient, "POST", `/waitlist/offers/${offer.id}/accept`),
          booking.expireHold(offer.appointment_id).catch(() => "conflict"),
        ]);
        return { accepted, offer, slotId: slot!.id, entryId: entry.id, doctorId: doctor.doctorId };
      }),
    );
    for (const run of runs) {
      const appointment = await statusOf(api, "appointment", run.offer.appointment_id);
      if (run.accepted.status === 200) {
        expect([appointment, await statusOf(api, "slot", run.slotId), await statusOf(api, "waitlist_offer", run.offer.id)]).toEqual(["scheduled", "booked", "accepted"]);
        expect(await statusOf(api, "waitlist_entry", run.entryId)).toBe("booked");
      } else {
        expect([run.accepted.status, run.accepted.body.code]).toEqual([409, "OFFER_EXPIRED"]);
        expect(appointment).toBe("expired");
        expect(await statusOf(api, "waitlist_offer", run.offer.id)).toBe("expired");
        // Nobody else waits: the slot ends free.
        await waitFor(async () => (await statusOf(api, "slot", run.slotId)) === "available" || undefined);
      }
      expect(await inconsistencies(api, run.doctorId)).toEqual({ doubles: 0, mismatched: [], overlapping: 0 });
    }
  }, 30_000);

  it("with its hold-expiry job lost, the offer sweep closes the lapsed offer once however many sweep at once, and tells the patient", async () => {
    const { clinicId, doctor } = await buildClinicWithDoctor(api);
    const [slot] = await buildSlots(api, { doctorId: doctor.doctorId, clinicId, count: 1 });
    const patient = await buildPatient(api, { tier: "vise", relatedTo: doctor.doctorId });
    const entry = await join(api, patient, { doctorId: doctor.doctorId, ...range });
    const me = await listen(api, patient.token, sockets);
    expect((await subscribe(me.socket, "me")).ok).toBe(true);
    await freeByCancellation(api, slot!.id);
    const offer = await offerFor(api, entry.id, slot!.id);
    // The job that would end it is gone (as when Redis loses its data); its time runs out.
    expect(await api.runtime.queues.get("booking").remove(`hold-${offer.appointment_id}`)).toBe(1);
    await query(api, `update appointment set hold_expires_at = now() - interval '1 second' where id = ?`, [offer.appointment_id]);
    await query(api, `update waitlist_offer set expires_at = now() - interval '1 second' where id = ?`, [offer.id]);

    const sweep = (app: TestApp) => fork(app).transactional((tx) => closeEndedOffers(tx));
    const closed = await Promise.all([sweep(api), sweep(worker), sweep(api)]);

    expect(closed.reduce((sum, n) => sum + n, 0)).toBe(1);
    expect(await statusOf(api, "waitlist_offer", offer.id)).toBe("expired");
    expect(await statusOf(api, "waitlist_entry", entry.id)).toBe("waiting");
    expect(await count(api, `select count(*) as n from audit_event where action = 'waitlist.offer.expired' and entity_id = ?`, [offer.id])).toBe(1);
    expect(await count(api, `select count(*) as n from domain_event where name = 'waitlist.expired' and data->'offer'->>'id' = ?`, [offer.id])).toBe(1);
    await waitFor(() => me.of(`me:${patient.user.id}`).some((e) => e.type === "waitlist.expired" && (e.data as { id: string }).id === offer.id));
    expect(await sweep(worker)).toBe(0);
  }, 30_000);
});
