/**
 * The domain event outbox (docs/architecture.md "Domain events") on real PostgreSQL and Redis:
 * events commit or roll back with their change; a node that dies between the commit and the
 * delivery leaves them to another node's sweep; a failing subscriber is retried alone; and the reply
 * to a committed write does not wait on Redis.
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DomainEvent } from "@clinic/shared";
import type { SlotChange } from "../../server/src/modules/scheduling/slot.store";
import { createClinicOrm } from "../../server/src/app";
import type { Orm } from "../../server/src/platform/db";
import { recordEvents } from "../../server/src/platform/outbox";
import { createTestEnvironment, startTestApp, waitFor, type TestApp, type TestEnvironment } from "../support/harness";
import { buildClinic, buildPerson } from "../support/factories";

describe("domain event outbox", () => {
  let environment: TestEnvironment;
  let node: TestApp;
  let replies: TestApp;
  let bare: Orm;
  const handled: { subscriber: string; event: DomainEvent }[] = [];
  let failuresLeft = 0;

  beforeAll(async () => {
    environment = await createTestEnvironment();
    node = await startTestApp(environment);
    replies = await startTestApp(environment, { settleEvents: false, env: { RATE_LIMIT_MAX: "100000" } });
    // A bare ORM with no runtime: what it records is left for a node's sweep (a node that died before delivering).
    bare = await createClinicOrm(environment.databaseUrl, { poolMax: 2 });
    node.runtime.outbox.subscribe([
      {
        name: "test-recorder",
        wants: (name) => name.startsWith("slot."),
        async handle(events) {
          for (const event of events) handled.push({ subscriber: "test-recorder", event });
        },
      },
      {
        name: "test-flaky",
        wants: (name) => name === "slot.blocked",
        async handle(events) {
          if (failuresLeft-- > 0) throw new Error("flaky subscriber");
          for (const event of events) handled.push({ subscriber: "test-flaky", event });
        },
      },
    ]);
  });
  afterAll(async () => {
    await bare?.close();
    await replies?.close();
    await node?.close();
  });

  const change = (cause: string): SlotChange => ({
    slotId: crypto.randomUUID(),
    doctorId: crypto.randomUUID(),
    clinicId: crypto.randomUUID(),
    start: new Date(Date.now() + 86_400_000).toISOString(),
    end: new Date(Date.now() + 86_400_000 + 900_000).toISOString(),
    status: cause === "blocked" ? "blocked" : "held",
    kind: "walk_in",
    version: 2,
    holdExpiresAt: null,
    cause,
  });
  const rows = (slotId: string) =>
    node.runtime.orm.em
      .fork()
      .getConnection()
      .execute<{ name: string; pending: string[] | null; attempts: number; delivered_at: string | null; last_error: string | null }[]>(
        `select name, pending, attempts, delivered_at, last_error from domain_event where data->>'slotId' = ? order by id`,
        [slotId],
      );
  const handledFor = (slotId: string, subscriber = "test-recorder") =>
    handled.filter((h) => h.subscriber === subscriber && (h.event.data as SlotChange).slotId === slotId).map((h) => h.event.name);

  it("delivers what a transaction recorded after it commits, in order, once; a rolled-back transaction delivers nothing", async () => {
    const held = change("held");
    const released = { ...change("released"), slotId: held.slotId, version: 3 };
    await (node.runtime.orm.em.fork() as EntityManager).transactional((tx) =>
      recordEvents(tx, [
        { name: "slot.held", data: held },
        { name: "slot.released", data: released },
      ]),
    );
    await node.runtime.outbox.idle();
    expect(handledFor(held.slotId)).toEqual(["slot.held", "slot.released"]);
    expect((await rows(held.slotId)).map((row) => [row.name, row.pending, row.delivered_at !== null])).toEqual([
      ["slot.held", [], true],
      ["slot.released", [], true],
    ]);

    const doomed = change("held");
    await expect(
      (node.runtime.orm.em.fork() as EntityManager).transactional(async (tx) => {
        await recordEvents(tx, [{ name: "slot.held", data: doomed }]);
        throw new Error("the change failed");
      }),
    ).rejects.toThrow("the change failed");
    await node.runtime.outbox.sweep();
    expect(await rows(doomed.slotId)).toEqual([]);
    expect(handledFor(doomed.slotId)).toEqual([]);
    // A second sweep hands nothing out again.
    await node.runtime.outbox.sweep();
    expect(handledFor(held.slotId)).toEqual(["slot.held", "slot.released"]);
  });

  it("events whose node died between commit and delivery are delivered by another node's sweep once the lease lapsed", async () => {
    const orphan = change("held");
    await (bare.em.fork() as EntityManager).transactional((tx) => recordEvents(tx, [{ name: "slot.held", data: orphan }]));
    // Still leased to the node that wrote them: nobody else may take them yet.
    await node.runtime.outbox.sweep();
    expect(handledFor(orphan.slotId)).toEqual([]);
    await bare.em.fork().getConnection().execute(`update domain_event set lease_until = now() - interval '1 second' where data->>'slotId' = ?`, [orphan.slotId]);
    await node.runtime.outbox.sweep();
    expect(handledFor(orphan.slotId)).toEqual(["slot.held"]);
    expect((await rows(orphan.slotId))[0]).toMatchObject({ pending: [], attempts: 0 });
  });

  it("a failing subscriber is retried alone, with a back-off, until it has handled the event", async () => {
    failuresLeft = 1;
    const blocked = change("blocked");
    await (node.runtime.orm.em.fork() as EntityManager).transactional((tx) => recordEvents(tx, [{ name: "slot.blocked", data: blocked }]));
    await node.runtime.outbox.idle();
    // The other subscribers have it; only the flaky one still owes it, not before its back-off.
    expect(handledFor(blocked.slotId)).toEqual(["slot.blocked"]);
    expect(handledFor(blocked.slotId, "test-flaky")).toEqual([]);
    expect(await rows(blocked.slotId)).toEqual([
      expect.objectContaining({ pending: ["test-flaky"], attempts: 1, delivered_at: null, last_error: "flaky subscriber" }),
    ]);
    await node.runtime.outbox.sweep();
    expect(handledFor(blocked.slotId, "test-flaky")).toEqual([]);
    await node.runtime.orm.em.fork().getConnection().execute(`update domain_event set next_attempt_at = now() where data->>'slotId' = ?`, [blocked.slotId]);
    await node.runtime.outbox.sweep();
    expect(handledFor(blocked.slotId, "test-flaky")).toEqual(["slot.blocked"]);
    // Nobody else got it twice.
    expect(handledFor(blocked.slotId)).toEqual(["slot.blocked"]);
    const [settled] = await rows(blocked.slotId);
    expect(settled).toMatchObject({ pending: [], attempts: 1 });
    expect(settled!.delivered_at).not.toBeNull();
  });

  it("the reply to a committed booking does not wait on Redis: its events follow once Redis answers", async () => {
    const clinic = await buildClinic(replies);
    const doctor = await buildPerson(replies, "doctor", { clinicIds: [clinic.id] });
    const patient = await buildPerson(replies, "patient");
    const connection = replies.runtime.orm.em.fork().getConnection();
    await connection.execute(`update patient set subscription_tier = 'vise' where id = ?`, [patient.patientId]);
    await connection.execute(`insert into doctor_patient (id, doctor_id, patient_id, created_at) values (gen_random_uuid(), ?, ?, now())`, [doctor.doctorId, patient.patientId]);
    const [slot] = await connection.execute<{ id: string }[]>(
      `insert into slot (id, doctor_id, clinic_id, starts_at, ends_at, status, kind, tags, version)
       values (gen_random_uuid(), ?, ?, now() + interval '2 days', now() + interval '2 days 15 minutes', 'available', 'regular', '{}', 1) returning id`,
      [doctor.doctorId, clinic.id],
    );
    const { events } = replies.runtime;
    const publish = events.publish.bind(events);
    const publishAll = events.publishAll.bind(events);
    let release: () => void = () => undefined;
    const redisBack = new Promise<void>((resolve) => (release = resolve));
    events.publish = async (topic, type, data) => {
      await redisBack;
      return publish(topic, type, data);
    };
    events.publishAll = async (messages) => {
      await redisBack;
      return publishAll(messages);
    };
    try {
      const reply = await fetch(`${replies.url}/api/v1/appointments`, {
        method: "POST",
        headers: { ...patient.headers, "content-type": "application/json" },
        body: JSON.stringify({ slotId: slot!.id }),
      });
      expect(reply.status).toBe(201);
      const { id } = (await reply.json()) as { id: string };
      const owed = await connection.execute<{ delivered_at: string | null }[]>(`select delivered_at from domain_event where data->>'appointmentId' = ?`, [id]);
      expect(owed).toEqual([{ delivered_at: null }]);
      release();
      await waitFor(async () => {
        const [row] = await connection.execute<{ delivered_at: string | null }[]>(`select delivered_at from domain_event where data->>'appointmentId' = ?`, [id]);
        return row?.delivered_at ? true : undefined;
      });
    } finally {
      release();
      events.publish = publish;
      events.publishAll = publishAll;
    }
  });

  it("the sweep removes events delivered more than a week ago", async () => {
    const old = change("held");
    await (node.runtime.orm.em.fork() as EntityManager).transactional((tx) => recordEvents(tx, [{ name: "slot.held", data: old }]));
    await node.runtime.outbox.idle();
    await node.runtime.orm.em.fork().getConnection().execute(`update domain_event set delivered_at = now() - interval '8 days' where data->>'slotId' = ?`, [old.slotId]);
    await node.runtime.outbox.sweep();
    expect(await rows(old.slotId)).toEqual([]);
  });
});
