import { randomUUID } from "node:crypto";
import { defineEntity, p } from "@mikro-orm/core";
import type { TemplateEntry } from "@clinic/shared";
import { Clinic } from "../directory";

/** A named day or week of working hours, saved to be applied to other date ranges. */
export const ScheduleTemplateSchema = defineEntity({
  name: "ScheduleTemplate",
  tableName: "schedule_template",
  uniques: [{ properties: ["clinic", "name"] }],
  properties: {
    id: p.uuid().primary().onCreate(() => randomUUID()),
    clinic: () => p.manyToOne(Clinic).deleteRule("cascade"),
    name: p.string(),
    span: p.enum(["day", "week"] as const),
    entries: p.json<TemplateEntry[]>(),
    createdAt: p.datetime().defaultRaw("now()").onCreate(() => new Date()),
  },
});
export class ScheduleTemplate extends ScheduleTemplateSchema.class {}
ScheduleTemplateSchema.setClass(ScheduleTemplate);
