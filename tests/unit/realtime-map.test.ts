/**
 * The realtime map covers what the realtime subscribers publish: every module's `*-realtime`
 * subscriber is handed one sample of each domain event it wants, with a publisher that records,
 * and every socket event it publishes must be named in `realtimeEventSchemas` with a payload its
 * schema accepts. A new domain event a subscriber forwards, or a new socket event, without its
 * schema fails here (and a wanted event without a sample below fails too, so samples keep up).
 */
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  domainEventSchemas,
  isRealtimeEventName,
  realtimeEventSchemas,
  type DomainEvent,
  type DomainEventName,
  type EventFamily,
} from "@clinic/shared";
import { modules } from "../../server/src/modules";
import type { ModuleContext } from "../../server/src/platform/module";

const at = new Date().toISOString();
const [doctorId, clinicId, userId] = [randomUUID(), randomUUID(), randomUUID()];
const slot = { slotId: randomUUID(), doctorId, clinicId, start: at, end: at, status: "held", kind: "regular", version: 2, holdExpiresAt: at, cause: "held" };
const entry = {
  id: randomUUID(), clinicId, serviceDay: at.slice(0, 10), doctorId, doctorName: "Dr Sen", patientId: randomUUID(), patientName: "Asha Roy",
  appointmentId: null, appointmentStart: null, slotId: null, kind: "walk_in", ticket: "W-001", status: "called", reason: null, manualRank: null,
  room: "Room 1", arrivedAt: at, calledAt: at, startedAt: null, finishedAt: null, leftAt: null, expectedAt: null, version: 1,
};
const eta = { clinicId, doctorId, lateByMinutes: 5, state: "consulting", entries: [{ entryId: entry.id, ticket: "W-001", expectedAt: at }], metrics: { waiting: 1, served: 0, currentWaitMinutes: 3, averageWaitMinutes: null } };

/** One payload per family (the cause after the dot does not change the shape). */
const samples: Partial<Record<EventFamily<DomainEventName>, unknown>> = {
  slot,
  elastic: { blockId: randomUUID(), doctorId, clinicId, start: at, end: at, capacityMinutes: 60, usedMinutes: 15, version: 3, cause: "held" },
  appointment: {
    appointmentId: randomUUID(), patientId: randomUUID(), patientUserId: userId, doctorId, clinicId, slotId: slot.slotId, elasticAllocationId: null,
    start: at, end: at, status: "pending", version: 1, holdExpiresAt: at, cause: "created",
  },
  queue: { entry, alsoDoctorIds: [] },
  waitlist: { patientUserId: userId, offer: { id: randomUUID(), entryId: randomUUID(), slotId: slot.slotId, appointmentId: randomUUID(), status: "offered", start: at, end: at, expiresAt: at, createdAt: at } },
};
const samplesByName: Partial<Record<DomainEventName, unknown>> = {
  "notification.created": { userId, item: { id: randomUUID(), template: "booking.confirmed", title: "Booked", body: "See you", createdAt: at, readAt: null } },
  "notification.read": { userId, ids: "all", unread: 0 },
  "slots.annotated": { ruleId: randomUUID(), doctorId, clinicId, from: at, to: at, count: 12, tags: ["gp"], note: "Bring the referral letter" },
  "eta.updated": { staff: eta, display: { doctorId, lateByMinutes: 5, entries: [{ ticket: "W-001", expectedAt: at }] } },
  "eta.changed": { patientUserId: userId, change: { appointmentId: null, entryId: entry.id, doctorId, clinicId, expectedAt: at, previousExpectedAt: at, direction: "later" } },
};

/** A sample of the event, checked against its own domain schema so the samples stay true. */
function sampleOf(name: DomainEventName): DomainEvent {
  const data = samplesByName[name] ?? samples[name.slice(0, name.indexOf(".")) as EventFamily<DomainEventName>];
  if (data === undefined) throw new Error(`no sample for ${name}: add one above`);
  return { id: "1", name, data: domainEventSchemas[name].parse(data), occurredAt: at } as DomainEvent;
}

describe("the realtime event map", () => {
  const published: { subscriber: string; type: string; data: unknown }[] = [];
  let current = "";
  // What the subscribers use: a recording publisher, and for the display feed a database that has the clinic and nobody waiting.
  const row = { id: clinicId, name: "Clinic", time_zone: "UTC", settings: {}, as_of: new Date(), waiting_count: 0, ticket: null };
  const ctx = {
    config: { auth: { jwtSecret: "unit-test-secret" } },
    orm: { em: { fork: () => ({ execute: async () => [row] }) } },
    events: {
      publish: async (_topic: string, type: string, data: unknown) => void published.push({ subscriber: current, type, data }),
      publishAll: async (messages: { type: string; data: unknown }[]) => {
        for (const { type, data } of messages) published.push({ subscriber: current, type, data });
      },
    },
  } as unknown as ModuleContext;
  const realtime = modules.flatMap((module) => module.subscribers?.(ctx) ?? []).filter((subscriber) => subscriber.name.endsWith("-realtime"));

  it("finds the realtime subscribers of the modules", () => {
    expect(realtime.map((subscriber) => subscriber.name)).toEqual(
      expect.arrayContaining(["slot-realtime", "appointment-realtime", "queue-realtime", "eta-realtime", "waitlist-realtime", "notification-realtime"]),
    );
  });

  it("has a schema for every event the realtime subscribers publish, and their payloads match it", async () => {
    for (const subscriber of realtime) {
      for (const name of Object.keys(domainEventSchemas) as DomainEventName[]) {
        if (!subscriber.wants(name)) continue;
        current = `${subscriber.name} on ${name}`;
        const before = published.length;
        await subscriber.handle([sampleOf(name)]);
        expect(published.length, `${current} published nothing`).toBeGreaterThan(before);
      }
    }
    for (const { subscriber, type, data } of published) {
      expect(isRealtimeEventName(type), `${subscriber} published ${type}, which the map does not name`).toBe(true);
      const parsed = realtimeEventSchemas[type as keyof typeof realtimeEventSchemas].safeParse(data);
      expect(parsed.error, `${subscriber}: ${type}`).toBeUndefined();
    }
    // The events that are not a domain event forwarded under its own name were published too. (The
    // display topic's `display.called` and `display.updated` are made by the nodes holding screens,
    // not by a subscriber: tests/queue/display-feed.test.ts and display-watch.test.ts parse them.)
    expect(published.map((event) => event.type)).toEqual(expect.arrayContaining(["eta.updated", "eta.changed"]));
  });
});
