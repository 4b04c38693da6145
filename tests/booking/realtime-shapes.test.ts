/**
 * The booking topics' payloads against their @clinic/shared schemas (the web parses them with the
 * same schemas): real snapshots of `slots:`, `doctor:`, `clinic:` and `me`, and every real event of a
 * hold, a cancel and a check-in, parsed strictly by the realtime map's schema for its name, so a
 * field added, renamed or dropped on either side, or a name the map lacks, fails here.
 */
import type { Socket } from "socket.io-client";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  appointmentLiveSchema,
  clinicSnapshotSchema,
  doctorSnapshotSchema,
  isRealtimeEventName,
  meSnapshotSchema,
  queueEntryViewSchema,
  realtimeEventSchemas,
  slotLiveSchema,
  slotsSnapshotSchema,
  type EventEnvelope,
} from "@clinic/shared";
import { listen, settle, subscribe, useApp } from "../support/harness";
import { buildAppointmentFromNow, buildDoctor, buildMiddayClinic, buildNamedPatient, buildPerson, buildSlotFromNow, type TestPerson } from "../support/factories";
import { call, staffCheckIn } from "../support/api";
import { query } from "../support/db";

/** The schema with no unknown keys allowed (zod objects strip them by default); a union's options each so. */
const strict = (schema: z.ZodType): z.ZodType =>
  schema instanceof z.ZodUnion ? z.union(schema.options.map((option) => strict(option as z.ZodType))) : z.strictObject((schema as z.ZodObject).shape);

/** A snapshot: its own keys strictly, and each row of `rows` strictly by its row schema. */
function parseSnapshot(schema: z.ZodObject, snapshot: unknown, rows: Record<string, z.ZodObject>) {
  const parsed = strict(schema).parse(snapshot) as Record<string, unknown[]>;
  for (const [key, row] of Object.entries(rows)) for (const item of parsed[key]!) strict(row).parse(item);
  return parsed;
}

describe("booking topic payloads match the shared schemas", () => {
  const app = useApp();
  let clinicId: string;
  let doctor: TestPerson & { doctorId: string };
  let reception: TestPerson;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    clinicId = (await buildMiddayClinic(app)).id;
    doctor = await buildDoctor(app, [clinicId]);
    reception = await buildPerson(app, "receptionist", { clinicIds: [clinicId] });
  });
  afterEach(() => {
    for (const socket of sockets.splice(0)) socket.disconnect();
  });

  it("snapshots and slot / appointment / queue events of a hold, a cancel and a check-in", async () => {
    const patient = await buildNamedPatient(app);
    const other = await buildNamedPatient(app);
    await query(app, `update patient set subscription_tier = 'standard' where id in (?, ?)`, [patient.patientId, other.patientId]);
    const slotId = (await buildSlotFromNow(app, { doctorId: doctor.doctorId, clinicId, fromNowMinutes: 90 })).id;
    const arriving = (await buildAppointmentFromNow(app, { doctorId: doctor.doctorId, clinicId, patientId: other.patientId, fromNowMinutes: 30 })).id;
    const arrived = (await buildAppointmentFromNow(app, { doctorId: doctor.doctorId, clinicId, patientId: other.patientId, fromNowMinutes: 45 })).id;
    expect((await staffCheckIn(app, reception, clinicId, arrived)).status).toBe(201);

    const mine = await listen(app, patient.token, sockets);
    const staff = await listen(app, reception.token, sockets);
    const doctors = await listen(app, doctor.token, sockets);
    const topics = { slots: `slots:${doctor.doctorId}`, clinic: `clinic:${clinicId}`, doctor: `doctor:${doctor.doctorId}` };
    const acks = {
      slots: await subscribe(mine.socket, topics.slots),
      me: await subscribe(mine.socket, "me"),
      clinic: await subscribe(staff.socket, topics.clinic),
      doctor: await subscribe(doctors.socket, topics.doctor),
    };
    for (const ack of Object.values(acks)) expect(ack.ok).toBe(true);
    const snapshot = (key: keyof typeof acks) => (acks[key] as { snapshot: unknown }).snapshot;

    const slots = parseSnapshot(slotsSnapshotSchema, snapshot("slots"), { slots: slotLiveSchema });
    expect(slots.slots!.map((slot) => (slot as { slotId: string }).slotId)).toContain(slotId);
    parseSnapshot(meSnapshotSchema, snapshot("me"), { appointments: appointmentLiveSchema });
    for (const key of ["clinic", "doctor"] as const) {
      const parsed = parseSnapshot(key === "clinic" ? clinicSnapshotSchema : doctorSnapshotSchema, snapshot(key), {
        appointments: appointmentLiveSchema,
        queue: queueEntryViewSchema,
      });
      expect(parsed.appointments!.length).toBeGreaterThanOrEqual(2);
      expect(parsed.queue).toHaveLength(1);
    }

    // A hold and its cancel (slot.* and appointment.*), then a check-in (queue.*).
    const hold = await fetch(`${app.url}/api/v1/appointments`, {
      method: "POST",
      headers: { ...patient.headers, "content-type": "application/json", "idempotency-key": crypto.randomUUID() },
      body: JSON.stringify({ slotId }),
    });
    expect(hold.status).toBe(201);
    const held = (await hold.json()) as { id: string };
    expect((await call(app, patient, "POST", `/appointments/${held.id}/cancel`, { reason: "shape test" })).status).toBe(200);
    expect((await staffCheckIn(app, reception, clinicId, arriving)).status).toBe(201);

    const all = () => [...mine.events, ...staff.events, ...doctors.events];
    const of = (prefix: string) => all().filter((event: EventEnvelope) => event.type.startsWith(prefix));
    await settle(() => of("slot.").length >= 2 && of("appointment.").length >= 4 && of("queue.").length >= 2);
    const seen = new Set<string>();
    for (const event of all()) {
      seen.add(event.type);
      expect(isRealtimeEventName(event.type), event.type).toBe(true);
      strict(realtimeEventSchemas[event.type as keyof typeof realtimeEventSchemas]).parse(event.data);
    }
    expect([...seen]).toEqual(expect.arrayContaining(["slot.held", "slot.released", "appointment.created", "appointment.cancelled"]));

    // Snapshots taken after the events carry the same row shapes.
    const late = await listen(app, reception.token, sockets);
    parseSnapshot(clinicSnapshotSchema, ((await subscribe(late.socket, topics.clinic)) as { snapshot: unknown }).snapshot, {
      appointments: appointmentLiveSchema,
      queue: queueEntryViewSchema,
    });
  });
});
