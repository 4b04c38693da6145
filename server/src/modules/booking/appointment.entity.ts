import { randomUUID } from "node:crypto";
import { defineEntity, p } from "@mikro-orm/core";
import { appointmentStatuses, paymentStatuses } from "@clinic/shared";
import { Clinic, Doctor, Patient, ClinicService } from "../directory";
import { UserAccount } from "../identity";
import { ElasticAllocation, Slot } from "../scheduling";

/**
 * A patient × (a slot, or an allocation in an elastic block). A partial unique index allows one live
 * appointment per slot: the last guard of the booking hot path; an allocation belongs to one
 * appointment for good. `version` rises on every change.
 */
export const AppointmentSchema = defineEntity({
  name: "Appointment",
  tableName: "appointment",
  indexes: [
    { properties: ["patient", "createdAt"] },
    { properties: ["doctor", "startsAt"] },
    { properties: ["clinic", "startsAt"] },
    // The lifecycle job's scan for visits that ended without a check-in (appointment-lifecycle.ts).
    { name: "appointment_no_show_candidates", properties: ["endsAt"], where: "status = 'scheduled' AND probable_no_show_at IS NULL" },
    { name: "appointment_pending_move_from_index", properties: ["pendingMoveFrom"], where: "pending_move_from IS NOT NULL" },
    // The lifecycle sweep's scan for lapsed holds (appointment-lifecycle.ts).
    { name: "appointment_pending_holds", properties: ["holdExpiresAt"], where: "status = 'pending'" },
  ],
  checks: [{ name: "appointment_slot_or_allocation", expression: "num_nonnulls(slot_id, elastic_allocation_id) = 1" }],
  // `scheduled_at`: the first time a row reaches a booked status, whatever wrote it (docs/analytics.md).
  triggers: [
    {
      name: "appointment_scheduled_at",
      timing: "before",
      events: ["insert", "update"],
      forEach: "row",
      body: "if new.scheduled_at is null and new.status in ('scheduled', 'checked_in', 'in_consultation', 'completed', 'no_show') then new.scheduled_at := now(); end if; return new;",
    },
  ],
  uniques: [
    {
      name: "appointment_one_live_per_slot",
      properties: ["slot"],
      where: "status <> ALL (ARRAY['cancelled'::text, 'expired'::text])",
    },
  ],
  properties: {
    id: p.uuid().primary().onCreate(() => randomUUID()),
    slot: () => p.manyToOne(Slot).nullable().deleteRule("restrict"),
    /** Set instead of `slot` for a booking in an elastic block; the times follow the allocation's expected start. */
    elasticAllocation: () => p.oneToOne(ElasticAllocation).owner().nullable().deleteRule("restrict"),
    patient: () => p.manyToOne(Patient).deleteRule("cascade"),
    doctor: () => p.manyToOne(Doctor).deleteRule("cascade"),
    clinic: () => p.manyToOne(Clinic).deleteRule("cascade"),
    service: () => p.manyToOne(ClinicService).nullable().deleteRule("set null"),
    /** Copied from the slot at booking, so history survives slot changes; re-timed with an elastic allocation. */
    startsAt: p.datetime(),
    endsAt: p.datetime(),
    status: p.enum(appointmentStatuses).default("pending"),
    holdExpiresAt: p.datetime().nullable(),
    paymentStatus: p.enum(paymentStatuses).default("not_required"),
    /** Minor units in `currency`. */
    feeMinor: p.integer().default(0),
    transactionFeeMinor: p.integer().default(0),
    currency: p.string().length(3).default("GBP"),
    /** What the patient must still pay online for this hold: its price, or a paid visit's move difference. */
    amountDueMinor: p.integer().default(0),
    bookedBy: () => p.manyToOne(UserAccount).nullable().deleteRule("set null"),
    statusReason: p.text().nullable(),
    /** Set once by the lifecycle job when a scheduled visit ended (plus grace) without a check-in. */
    probableNoShowAt: p.datetime().nullable(),
    /**
     * When it first became a booked visit (scheduled, or any status past it): set by a database
     * trigger on every write path, never cleared. Analytics count bookings and cancellations by it.
     */
    scheduledAt: p.datetime().nullable(),
    /** The live ETA of a later appointment of the day (kept by the queue's ETA job). */
    expectedStartAt: p.datetime().nullable(),
    statusChangedBy: () => p.manyToOne(UserAccount).nullable().deleteRule("set null"),
    /** The appointment this one replaced by rescheduling. */
    rescheduledFrom: p.uuid().nullable(),
    /** A pending move of a paid visit: the visit this hold replaces once the difference is paid (it stays booked until then). */
    pendingMoveFrom: () => p.manyToOne(Appointment).fieldName("pending_move_from").nullable().deleteRule("set null"),
    version: p.integer().default(1),
    createdAt: p.datetime().defaultRaw("now()").onCreate(() => new Date()),
    updatedAt: p.datetime().defaultRaw("now()").onCreate(() => new Date()).onUpdate(() => new Date()),
  },
});
export class Appointment extends AppointmentSchema.class {}
AppointmentSchema.setClass(Appointment);
