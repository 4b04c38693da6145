import { randomUUID } from "node:crypto";
import { defineEntity, p } from "@mikro-orm/core";
import { queueEntryKinds, queueEntryStatuses } from "@clinic/shared";
import { Appointment } from "../booking";
import { Clinic, Doctor, Patient } from "../directory";
import { Slot } from "../scheduling";

/**
 * A patient waiting at a clinic today: from an appointment's check-in, a walk-in or an emergency.
 * `version` is bumped on every change and checked by every writer (two receptionists cannot both win).
 */
export const QueueEntrySchema = defineEntity({
  name: "QueueEntry",
  tableName: "queue_entry",
  uniques: [
    { name: "queue_entry_ticket_unique", properties: ["clinic", "serviceDay", "ticket"] },
    // At most one called patient and one patient in the room per doctor, whatever the day
    // (docs/queue.md "One called patient per doctor"); call-next and start map a violation to 409.
    { name: "queue_entry_one_called_per_doctor", properties: ["doctor"], where: "status = 'called'" },
    { name: "queue_entry_one_in_room_per_doctor", properties: ["doctor"], where: "status = 'in_room'" },
  ],
  indexes: [
    { properties: ["clinic", "serviceDay", "status"] },
    { properties: ["doctor", "serviceDay", "status"] },
  ],
  properties: {
    id: p.uuid().primary().onCreate(() => randomUUID()),
    clinic: () => p.manyToOne(Clinic).deleteRule("cascade"),
    /** Null for a walk-in any doctor may call. */
    doctor: () => p.manyToOne(Doctor).nullable().deleteRule("set null"),
    patient: () => p.manyToOne(Patient).deleteRule("cascade").index(),
    /** The checked-in appointment (kind `appointment`); one queue entry per appointment. */
    appointment: () => p.oneToOne(Appointment).owner().nullable().unique().deleteRule("set null"),
    /** The walk-in/emergency slot of the schedule this entry took, when it took one. */
    slot: () => p.manyToOne(Slot).nullable().deleteRule("set null"),
    kind: p.enum(queueEntryKinds),
    /** The clinic-local date the ticket belongs to. */
    serviceDay: p.date(),
    /** Daily per clinic: `A-001` (appointments), `W-001` (walk-ins), `E-001` (emergencies). */
    ticket: p.string().length(8),
    status: p.enum(queueEntryStatuses).default("waiting"),
    /** Why an emergency jumps ahead (shown to staff only). */
    reason: p.text().nullable(),
    /** Set by a receptionist's reorder: entries with a rank go first, lowest first. */
    manualRank: p.integer().nullable(),
    /** Where to go when called (the doctor's room). */
    room: p.string().length(32).nullable(),
    arrivedAt: p.datetime(),
    calledAt: p.datetime().nullable(),
    startedAt: p.datetime().nullable(),
    finishedAt: p.datetime().nullable(),
    leftAt: p.datetime().nullable(),
    /** The live ETA: when this patient is expected to be called (kept by the ETA job). */
    expectedAt: p.datetime().nullable(),
    version: p.integer().default(1),
    createdAt: p.datetime().defaultRaw("now()").onCreate(() => new Date()),
    updatedAt: p.datetime().defaultRaw("now()").onCreate(() => new Date()).onUpdate(() => new Date()),
  },
});
export class QueueEntry extends QueueEntrySchema.class {}
QueueEntrySchema.setClass(QueueEntry);

/** The last ticket number handed out per clinic, day and prefix (an upsert makes numbers race-free). */
export const QueueTicketCounterSchema = defineEntity({
  name: "QueueTicketCounter",
  tableName: "queue_ticket_counter",
  properties: {
    clinic: () => p.manyToOne(Clinic).primary().deleteRule("cascade"),
    serviceDay: p.date().primary(),
    prefix: p.string().length(1).primary(),
    last: p.integer(),
  },
});
export class QueueTicketCounter extends QueueTicketCounterSchema.class {}
QueueTicketCounterSchema.setClass(QueueTicketCounter);
