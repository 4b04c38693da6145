import { randomUUID } from "node:crypto";
import { defineEntity, p } from "@mikro-orm/core";
import type { BookingRuleSpec } from "@clinic/shared";
import { Clinic, Doctor, ClinicService } from "../directory";
import { UserAccount } from "../identity";

/** A booking rule as data, scoped to a clinic and optionally one doctor and/or service. */
export const BookingRuleSchema = defineEntity({
  name: "BookingRule",
  tableName: "booking_rule",
  indexes: [{ properties: ["clinic"] }],
  properties: {
    id: p.uuid().primary().onCreate(() => randomUUID()),
    clinic: () => p.manyToOne(Clinic).deleteRule("cascade"),
    doctor: () => p.manyToOne(Doctor).nullable().deleteRule("cascade"),
    service: () => p.manyToOne(ClinicService).nullable().deleteRule("cascade"),
    spec: p.json<BookingRuleSpec>(),
    active: p.boolean().default(true),
    createdAt: p.datetime().defaultRaw("now()").onCreate(() => new Date()),
  },
});
export class BookingRule extends BookingRuleSchema.class {}
BookingRuleSchema.setClass(BookingRule);

/** A clinic admin's permission to overbook a doctor and/or service, with a cap and a reason. */
export const OverbookingPolicySchema = defineEntity({
  name: "OverbookingPolicy",
  tableName: "overbooking_policy",
  properties: {
    id: p.uuid().primary().onCreate(() => randomUUID()),
    clinic: () => p.manyToOne(Clinic).deleteRule("cascade").index(),
    doctor: () => p.manyToOne(Doctor).nullable().deleteRule("cascade"),
    service: () => p.manyToOne(ClinicService).nullable().deleteRule("cascade"),
    /** At most this many overbooked slots per doctor per day. */
    capPerDay: p.integer(),
    allowedBy: () => p.manyToOne(UserAccount).nullable().deleteRule("set null"),
    reason: p.text(),
    createdAt: p.datetime().defaultRaw("now()").onCreate(() => new Date()),
  },
});
export class OverbookingPolicy extends OverbookingPolicySchema.class {}
OverbookingPolicySchema.setClass(OverbookingPolicy);
