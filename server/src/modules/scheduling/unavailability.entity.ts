import { randomUUID } from "node:crypto";
import { defineEntity, p } from "@mikro-orm/core";
import { unavailabilityKinds } from "@clinic/shared";
import { Clinic, Doctor } from "../directory";
import { UserAccount } from "../identity";

/**
 * Time nobody may book: a doctor's leave (at one clinic or all of them) or a clinic-wide holiday or
 * closure (no doctor). `endsAt` null means from `startsAt` on, indefinitely.
 */
export const UnavailabilitySchema = defineEntity({
  name: "Unavailability",
  tableName: "unavailability",
  checks: [{ name: "unavailability_has_scope", expression: "doctor_id is not null or clinic_id is not null" }],
  indexes: [{ properties: ["doctor", "startsAt"] }, { properties: ["clinic", "startsAt"] }],
  properties: {
    id: p.uuid().primary().onCreate(() => randomUUID()),
    doctor: () => p.manyToOne(Doctor).nullable().deleteRule("cascade"),
    clinic: () => p.manyToOne(Clinic).nullable().deleteRule("cascade"),
    kind: p.enum(unavailabilityKinds),
    startsAt: p.datetime(),
    endsAt: p.datetime().nullable(),
    reason: p.text().nullable(),
    createdBy: () => p.manyToOne(UserAccount).nullable().deleteRule("set null"),
    createdAt: p.datetime().defaultRaw("now()").onCreate(() => new Date()),
  },
});
export class Unavailability extends UnavailabilitySchema.class {}
UnavailabilitySchema.setClass(Unavailability);
