import { randomUUID } from "node:crypto";
import { defineEntity, p } from "@mikro-orm/core";
import { loyaltyEntryKinds } from "@clinic/shared";
import { Clinic, Patient } from "../directory";
import { Appointment } from "../booking";

/**
 * The append-only loyalty points ledger: a balance is the sum of a patient's entries, never a stored
 * number. One entry per (appointment, kind), so an award, a redemption and its return each happen once
 * per appointment. A trigger (migration loyalty_redeem) refuses a negative entry that would take the
 * balance below zero: the last guard behind the per-patient lock (docs/loyalty.md).
 */
export const LoyaltyPointsEntrySchema = defineEntity({
  name: "LoyaltyPointsEntry",
  tableName: "loyalty_points_entry",
  indexes: [{ properties: ["patient", "createdAt"] }],
  uniques: [{ name: "loyalty_points_entry_once_per_appointment", properties: ["appointment", "kind"] }],
  checks: [{ name: "loyalty_points_entry_points_nonzero", expression: "points <> 0" }],
  // The after-row trigger sees the new row in the sum: a debit that would leave a negative balance fails.
  triggers: [
    {
      name: "loyalty_balance_nonnegative", // short: PostgreSQL cuts the generated function name at 63 characters
      timing: "after",
      events: ["insert"],
      forEach: "row",
      // As PostgreSQL reports them back, so the schema diff sees no change.
      when: "(new.points < 0)",
      body:
        "if (select coalesce(sum(points), 0) from loyalty_points_entry where patient_id = new.patient_id) < 0 then " +
        "raise exception 'loyalty balance of patient % would go negative', new.patient_id using errcode = '23514'; end if; return new",
    },
  ],
  properties: {
    id: p.uuid().primary().onCreate(() => randomUUID()),
    patient: () => p.manyToOne(Patient).deleteRule("cascade"),
    clinic: () => p.manyToOne(Clinic).deleteRule("cascade"),
    appointment: () => p.manyToOne(Appointment).nullable().deleteRule("set null"),
    kind: p.enum(loyaltyEntryKinds),
    /** Positive for awards and returns; redemptions are negative. */
    points: p.integer(),
    createdAt: p.datetime().defaultRaw("now()").onCreate(() => new Date()),
  },
});
export class LoyaltyPointsEntry extends LoyaltyPointsEntrySchema.class {}
LoyaltyPointsEntrySchema.setClass(LoyaltyPointsEntry);
