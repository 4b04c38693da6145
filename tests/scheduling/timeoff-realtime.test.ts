/** Time off and its removal reach everyone watching the doctor's slots, live. */
import type { Socket } from "socket.io-client";
import { afterAll, describe, expect, it } from "vitest";
import type { EventEnvelope, SubscribeAck } from "@clinic/shared";
import { connected, connectSocket, useTestApp, waitFor } from "../support/harness";
import { buildAppointment, buildClinic, buildPerson, buildSlot, buildSlots } from "../support/factories";
import { at, dayFromNow } from "../support/dates";

describe("time off, live", () => {
  const app = useTestApp();
  const sockets: Socket[] = [];
  afterAll(async () => {
    for (const socket of sockets) socket.disconnect();
  });

  it("publishes slot.blocked for every slot leave blocks, and slot.released when it is removed", async () => {
    const clinicId = (await buildClinic(app)).id;
    const doctor = await buildPerson(app, "doctor", { clinicIds: [clinicId] });
    const patient = await buildPerson(app, "patient");
    const day = dayFromNow(3);
    const slots = await buildSlots(app, { doctorId: doctor.doctorId!, clinicId, date: day, from: "09:00", count: 3, minutes: 20 });

    const socket = connectSocket(app.url, { token: patient.token });
    sockets.push(socket);
    await connected(socket);
    const events: EventEnvelope<{ slotId: string; status: string; version: number }>[] = [];
    socket.on("event", (event: EventEnvelope<{ slotId: string; status: string; version: number }>) => events.push(event));
    const ack = (await socket.timeout(5_000).emitWithAck("subscribe", { topic: `slots:${doctor.doctorId}` })) as SubscribeAck;
    expect(ack.ok).toBe(true);

    const created = await fetch(`${app.url}/api/v1/doctors/${doctor.doctorId}/unavailability`, {
      method: "POST",
      headers: { ...doctor.headers, "content-type": "application/json" },
      body: JSON.stringify({ clinicId, kind: "conference", startsAt: at(day, "09:00").toISOString(), endsAt: at(day, "10:00").toISOString(), reason: "Congress" }),
    });
    expect(created.status).toBe(201);
    const { unavailability } = (await created.json()) as { unavailability: { id: string } };
    await waitFor(() => events.length === 3);
    expect(events.map((e) => [e.type, e.data.slotId, e.data.status, e.data.version])).toEqual(
      slots.map((slot) => ["slot.blocked", slot.id, "blocked", 2]),
    );

    const removed = await fetch(`${app.url}/api/v1/unavailability/${unavailability.id}`, { method: "DELETE", headers: doctor.headers });
    expect(removed.status).toBe(200);
    await waitFor(() => events.length === 6);
    expect(events.slice(3).map((e) => [e.type, e.data.status, e.data.version])).toEqual(slots.map(() => ["slot.released", "available", 3]));
    // One topic, consecutive sequence numbers from the ack on.
    const seq = (ack as { seq: number }).seq;
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6].map((n) => seq + n));
  });

  it("auto-cancelled leave tells the patient live: appointment.cancelled reaches their me room and the staff topics", async () => {
    const clinicId = (await buildClinic(app)).id;
    const doctor = await buildPerson(app, "doctor", { clinicIds: [clinicId] });
    const patient = await buildPerson(app, "patient");
    const day = dayFromNow(4);
    const slot = await buildSlot(app, { doctorId: doctor.doctorId!, clinicId, start: at(day, "11:00"), status: "booked" });
    const appointment = await buildAppointment(app, { slot, patientId: patient.patientId! });

    const listen = async (token: string, topic: string) => {
      const socket = connectSocket(app.url, { token });
      sockets.push(socket);
      await connected(socket);
      const events: EventEnvelope<{ appointmentId?: string; status: string }>[] = [];
      socket.on("event", (event: EventEnvelope<{ appointmentId?: string; status: string }>) => events.push(event));
      expect(((await socket.timeout(5_000).emitWithAck("subscribe", { topic })) as SubscribeAck).ok).toBe(true);
      return events;
    };
    const mine = await listen(patient.token, "me");
    const doctorsDay = await listen(doctor.token, `doctor:${doctor.doctorId}`);

    const created = await fetch(`${app.url}/api/v1/doctors/${doctor.doctorId}/unavailability`, {
      method: "POST",
      headers: { ...doctor.headers, "content-type": "application/json" },
      body: JSON.stringify({ clinicId, kind: "emergency_leave", startsAt: at(day, "08:00").toISOString(), endsAt: at(day, "18:00").toISOString(), reason: "Flu", autoCancel: true }),
    });
    expect(created.status).toBe(201);
    expect(((await created.json()) as { cancelledAppointmentIds: string[] }).cancelledAppointmentIds).toEqual([appointment.id]);
    await waitFor(() => mine.some((e) => e.type === "appointment.cancelled") && doctorsDay.some((e) => e.type === "appointment.cancelled"));
    expect(mine.find((e) => e.type === "appointment.cancelled")!.data).toMatchObject({ appointmentId: appointment.id, status: "cancelled" });
    expect(doctorsDay.map((e) => e.type)).toEqual(["slot.blocked", "appointment.cancelled"]);
  });
});
