import { randomUUID } from "node:crypto";
import { defineEntity, p } from "@mikro-orm/core";

/** A clinic (a branch is simply another clinic). Its IANA time zone turns wall-clock rules into instants. */
export const ClinicSchema = defineEntity({
  name: "Clinic",
  tableName: "clinic",
  properties: {
    id: p.uuid().primary().onCreate(() => randomUUID()),
    slug: p.string().unique(),
    name: p.string(),
    timeZone: p.string().length(64),
    createdAt: p.datetime().defaultRaw("now()").onCreate(() => new Date()),
  },
});

export class Clinic extends ClinicSchema.class {}
ClinicSchema.setClass(Clinic);
