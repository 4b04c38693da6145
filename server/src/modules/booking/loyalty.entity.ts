import { randomUUID } from "node:crypto";
import { defineEntity, p } from "@mikro-orm/core";
import { Clinic } from "../directory/clinic.entity";
import { Patient } from "../directory/patient.entity";
import { Appointment } from "./appointment.entity";

/** Kinds of ledger entries; payments (#9) adds redemptions and adjustments. */
export const loyaltyEntryKinds = ["award"] as const;

/**
 * The append-only loyalty points ledger: a balance is the sum of a patient's entries, never a stored
 * number. One entry per (appointment, kind), so an award happens once however often its job runs.
 */
export const LoyaltyPointsEntrySchema = defineEntity({
  name: "LoyaltyPointsEntry",
  tableName: "loyalty_points_entry",
  indexes: [{ properties: ["patient", "createdAt"] }],
  uniques: [{ name: "loyalty_points_entry_once_per_appointment", properties: ["appointment", "kind"] }],
  checks: [{ name: "loyalty_points_entry_points_nonzero", expression: "points <> 0" }],
  properties: {
    id: p.uuid().primary().onCreate(() => randomUUID()),
    patient: () => p.manyToOne(Patient).deleteRule("cascade"),
    clinic: () => p.manyToOne(Clinic).deleteRule("cascade"),
    appointment: () => p.manyToOne(Appointment).nullable().deleteRule("set null"),
    kind: p.enum(loyaltyEntryKinds),
    /** Positive for awards; redemptions (later) are negative. */
    points: p.integer(),
    createdAt: p.datetime().defaultRaw("now()").onCreate(() => new Date()),
  },
});
export class LoyaltyPointsEntry extends LoyaltyPointsEntrySchema.class {}
LoyaltyPointsEntrySchema.setClass(LoyaltyPointsEntry);
