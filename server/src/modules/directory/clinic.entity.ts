import { randomUUID } from "node:crypto";
import { defineEntity, p } from "@mikro-orm/core";
import type { ClinicSettings } from "@clinic/shared";

/** A clinic; a branch is a clinic with a parent. Its IANA time zone turns wall-clock rules into instants. */
export const ClinicSchema = defineEntity({
  name: "Clinic",
  tableName: "clinic",
  properties: {
    id: p.uuid().primary().onCreate(() => randomUUID()),
    slug: p.string().unique(),
    name: p.string(),
    timeZone: p.string().length(64),
    address: p.text().nullable(),
    phone: p.string().length(32).nullable(),
    email: p.string().nullable(),
    settings: p.json<ClinicSettings>().defaultRaw("'{}'"),
    parentClinic: () => p.manyToOne(Clinic).nullable().deleteRule("set null"),
    active: p.boolean().default(true),
    createdAt: p.datetime().defaultRaw("now()").onCreate(() => new Date()),
    updatedAt: p.datetime().defaultRaw("now()").onCreate(() => new Date()).onUpdate(() => new Date()),
  },
});

export class Clinic extends ClinicSchema.class {}
ClinicSchema.setClass(Clinic);
