import { randomUUID } from "node:crypto";
import { defineEntity, p } from "@mikro-orm/core";
import { slotKinds, type Recurrence } from "@clinic/shared";
import { Clinic, Doctor, ClinicService } from "../directory";

/**
 * A doctor's working pattern at one clinic in wall-clock terms ("Mon–Fri 09:00–13:00, lunch
 * 12:00–12:30, 15-minute consultations"); slots are materialised from it in the clinic's zone.
 */
export const AvailabilityRuleSchema = defineEntity({
  name: "AvailabilityRule",
  tableName: "availability_rule",
  indexes: [{ properties: ["doctor", "clinic"] }],
  properties: {
    id: p.uuid().primary().onCreate(() => randomUUID()),
    doctor: () => p.manyToOne(Doctor).deleteRule("cascade"),
    clinic: () => p.manyToOne(Clinic).deleteRule("cascade"),
    service: () => p.manyToOne(ClinicService).nullable().deleteRule("set null"),
    kind: p.enum(slotKinds).default("regular"),
    recurrence: p.json<Recurrence>(),
    validFrom: p.date(),
    validUntil: p.date().nullable(),
    startTime: p.string().length(5),
    endTime: p.string().length(5),
    breaks: p.json<{ start: string; end: string }[]>().defaultRaw("'[]'"),
    slotMinutes: p.integer(),
    bufferMinutes: p.integer().default(0),
    tags: p.array().default([]),
    note: p.text().nullable(),
    colour: p.string().length(7).nullable(),
    active: p.boolean().default(true),
    createdAt: p.datetime().defaultRaw("now()").onCreate(() => new Date()),
    updatedAt: p.datetime().defaultRaw("now()").onCreate(() => new Date()).onUpdate(() => new Date()),
  },
});
export class AvailabilityRule extends AvailabilityRuleSchema.class {}
AvailabilityRuleSchema.setClass(AvailabilityRule);
