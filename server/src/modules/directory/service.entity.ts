import { randomUUID } from "node:crypto";
import { defineEntity, p } from "@mikro-orm/core";
import { Clinic } from "./clinic.entity";

/** A bookable kind of visit at one clinic (consultation 15 min, surgery 60 min, ...). */
export const ClinicServiceSchema = defineEntity({
  name: "ClinicService",
  tableName: "clinic_service",
  uniques: [{ properties: ["clinic", "name"] }],
  properties: {
    id: p.uuid().primary().onCreate(() => randomUUID()),
    clinic: () => p.manyToOne(Clinic).deleteRule("cascade"),
    name: p.string(),
    durationMinutes: p.integer(),
    colour: p.string().length(7),
    priceMinor: p.integer().default(0),
    currency: p.string().length(3).default("GBP"),
    paymentRequired: p.boolean().default(false),
    active: p.boolean().default(true),
    createdAt: p.datetime().defaultRaw("now()").onCreate(() => new Date()),
    updatedAt: p.datetime().defaultRaw("now()").onCreate(() => new Date()).onUpdate(() => new Date()),
  },
});
export class ClinicService extends ClinicServiceSchema.class {}
ClinicServiceSchema.setClass(ClinicService);
