import type { EntityManager } from "@mikro-orm/postgresql";
import type { Socket } from "socket.io-client";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createTestEnvironment, listen, settle, startTestApp, subscribe, type TestApp } from "../support/harness";
import { buildClinic, buildPerson, buildSlot, type TestPerson } from "../support/factories";

/** End to end: a booking made over HTTP on node A reaches subscribers on node B. */
describe("booking events through POST /appointments", () => {
  let nodeA: TestApp;
  let nodeB: TestApp;
  let clinicId: string;
  let doctor: TestPerson;
  let patient: TestPerson;
  let watcher: TestPerson;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    const environment = await createTestEnvironment();
    [nodeA, nodeB] = await Promise.all([startTestApp(environment), startTestApp(environment)]);
    clinicId = (await buildClinic(nodeA)).id;
    [doctor, patient, watcher] = await Promise.all([
      buildPerson(nodeA, "doctor", { clinicIds: [clinicId] }),
      buildPerson(nodeA, "patient"),
      buildPerson(nodeA, "patient"),
    ]);
    await (nodeA.runtime.orm.em.fork() as EntityManager).execute(`update patient set subscription_tier = 'standard'`);
  });
  afterEach(() => {
    for (const socket of sockets.splice(0)) socket.disconnect();
  });
  afterAll(() => Promise.all([nodeA.close(), nodeB.close()]));

  it("publishes slot.held to slots: (without patient data) and appointment.created to the patient's me room", async () => {
    const slot = await buildSlot(nodeA, { doctorId: doctor.doctorId!, clinicId, start: new Date(Date.now() + 3 * 86_400_000) });
    const publicView = await listen(nodeB, watcher.token, sockets);
    const mine = await listen(nodeB, patient.token, sockets);
    const slotsAck = (await subscribe(publicView.socket, `slots:${doctor.doctorId}`)) as { ok: true; seq: number };
    const meAck = (await subscribe(mine.socket, "me")) as { ok: true; topic: string; seq: number };
    expect(meAck.topic).toBe(`me:${patient.user.id}`);

    const response = await fetch(`${nodeA.url}/api/v1/appointments`, {
      method: "POST",
      headers: { ...patient.headers, "content-type": "application/json", "idempotency-key": crypto.randomUUID() },
      body: JSON.stringify({ slotId: slot.id }),
    });
    expect(response.status).toBe(201);
    const booked = (await response.json()) as { id: string };

    await settle(() => publicView.events.some((e) => e.data && (e.data as { slotId?: string }).slotId === slot.id) && mine.events.length > 0);
    const slotEvent = publicView.events.find((e) => (e.data as { slotId?: string }).slotId === slot.id)!;
    expect(slotEvent).toMatchObject({ topic: `slots:${doctor.doctorId}`, seq: slotsAck.seq + 1, type: "slot.held", data: { status: "held", version: 2 } });
    expect((slotEvent.data as { holdExpiresAt: string | null }).holdExpiresAt).toEqual(expect.any(String));
    expect(JSON.stringify(slotEvent.data)).not.toContain(patient.patientId!);
    expect(JSON.stringify(slotEvent.data)).not.toContain(patient.user.id);
    expect(mine.events[0]).toMatchObject({ topic: meAck.topic, seq: meAck.seq + 1, type: "appointment.created", data: { appointmentId: booked.id, slotId: slot.id } });

    // A subscriber arriving now sees the hold in the snapshot, with its countdown.
    const late = await listen(nodeA, watcher.token, sockets);
    const ack = (await subscribe(late.socket, `slots:${doctor.doctorId}`)) as { ok: true; seq: number; snapshot: { slots: { slotId: string; status: string; holdExpiresAt: string | null }[] } };
    expect(ack.seq).toBe(slotEvent.seq);
    expect(ack.snapshot.slots.find((s) => s.slotId === slot.id)).toMatchObject({ status: "held", holdExpiresAt: expect.any(String) });
  });
});
