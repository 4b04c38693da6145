/**
 * Fixtures for the booking real-time tests: slots and appointments written straight to the
 * database, SlotChange / AppointmentChange values built from them (as the booking service would
 * after commit), and socket helpers.
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import type { Socket } from "socket.io-client";
import type { AppointmentCause, EventEnvelope, SlotCause, SubscribeAck } from "@clinic/shared";
import { Appointment } from "../../server/src/modules/booking/appointment.entity";
import type { AppointmentChange } from "../../server/src/modules/booking/appointment.views";
import { Slot } from "../../server/src/modules/scheduling/slot.entity";
import type { SlotChange } from "../../server/src/modules/scheduling/slot.store";
import { recordEvents } from "../../server/src/platform/outbox";
import { topicSeqKey } from "../../server/src/platform/events";
import type { Runtime } from "../../server/src/platform/runtime";
import { connectSocket, connected, waitFor, type TestApp } from "../support/harness";

export const subscribe = (socket: Socket, topic: string) =>
  socket.timeout(5_000).emitWithAck("subscribe", { topic }) as Promise<SubscribeAck>;

/** A connected socket that records every event it receives. */
export async function listen(app: TestApp, token: string, opened: Socket[]) {
  const socket = connectSocket(app.url, { token });
  opened.push(socket);
  const events: EventEnvelope[] = [];
  socket.on("event", (envelope: EventEnvelope) => events.push(envelope));
  await connected(socket);
  return { socket, events, of: (topic: string) => events.filter((event) => event.topic === topic) };
}

export async function seqOf(runtime: Runtime, topic: string): Promise<number> {
  return Number((await runtime.redis.get(topicSeqKey(runtime.config.redis.prefix, topic))) ?? 0);
}

/**
 * Commits the changes as the booking writers do (domain events recorded in a transaction) and waits
 * for this node's outbox to hand them to the realtime subscribers.
 */
export async function publishChanges(runtime: Runtime, changes: { slots?: SlotChange[]; appointments?: AppointmentChange[] }): Promise<void> {
  await (runtime.orm.em.fork() as EntityManager).transactional((tx) =>
    recordEvents(tx, [
      ...(changes.slots ?? []).map((change) => ({ name: `slot.${change.cause as SlotCause}` as const, data: change })),
      ...(changes.appointments ?? []).map((change) => ({ name: `appointment.${change.cause as AppointmentCause}` as const, data: change })),
    ]),
  );
  await runtime.outbox.idle();
}

export const settle = async (probe: () => boolean) => waitFor(() => probe() || undefined, 5_000);

/** One slot of `doctorId` at `start`, `minutes` long. */
export async function insertSlot(
  runtime: Runtime,
  spec: { doctorId: string; clinicId: string; start: Date; minutes?: number; kind?: "regular" | "walk_in" | "emergency"; status?: "available" | "held" | "booked"; holdExpiresAt?: Date | null },
): Promise<Slot> {
  const em = runtime.orm.em.fork() as EntityManager;
  const slot = em.create(Slot, {
    doctor: spec.doctorId,
    clinic: spec.clinicId,
    startsAt: spec.start,
    endsAt: new Date(spec.start.getTime() + (spec.minutes ?? 15) * 60_000),
    status: spec.status ?? "available",
    kind: spec.kind ?? "regular",
    holdExpiresAt: spec.holdExpiresAt ?? null,
    version: 1,
  });
  await em.flush();
  return slot;
}

export async function insertAppointment(
  runtime: Runtime,
  spec: { slot: Slot; patientId: string; status?: "pending" | "scheduled" | "cancelled" },
): Promise<Appointment> {
  const em = runtime.orm.em.fork() as EntityManager;
  const appointment = em.create(Appointment, {
    slot: spec.slot.id,
    patient: spec.patientId,
    doctor: spec.slot.doctor.id,
    clinic: spec.slot.clinic.id,
    startsAt: spec.slot.startsAt,
    endsAt: spec.slot.endsAt,
    status: spec.status ?? "scheduled",
  });
  await em.flush();
  return appointment;
}

/**
 * Applies a slot transition to the database (as the committed booking transaction would) and
 * returns the SlotChange describing it.
 */
export async function transition(
  runtime: Runtime,
  slot: Slot,
  cause: string,
  status: "available" | "held" | "booked" | "blocked",
  holdExpiresAt: Date | null = null,
): Promise<SlotChange> {
  const em = runtime.orm.em.fork() as EntityManager;
  const [row] = await em.getConnection().execute<{ version: number }[]>(
    `update slot set status = ?, hold_expires_at = ?, version = version + 1 where id = ? returning version`,
    [status, holdExpiresAt, slot.id],
  );
  return {
    slotId: slot.id,
    doctorId: slot.doctor.id,
    clinicId: slot.clinic.id,
    start: slot.startsAt.toISOString(),
    end: slot.endsAt.toISOString(),
    status,
    kind: slot.kind,
    version: row!.version,
    holdExpiresAt: holdExpiresAt?.toISOString() ?? null,
    cause,
  };
}

export function appointmentChange(appointment: Appointment, patientUserId: string, cause: string): AppointmentChange {
  return {
    appointmentId: appointment.id,
    patientId: appointment.patient.id,
    patientUserId,
    doctorId: appointment.doctor.id,
    clinicId: appointment.clinic.id,
    slotId: appointment.slot?.id ?? null,
    elasticAllocationId: appointment.elasticAllocation?.id ?? null,
    start: appointment.startsAt.toISOString(),
    end: appointment.endsAt.toISOString(),
    status: appointment.status,
    version: appointment.version,
    holdExpiresAt: appointment.holdExpiresAt?.toISOString() ?? null,
    cause,
  };
}
