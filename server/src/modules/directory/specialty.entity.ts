import { randomUUID } from "node:crypto";
import { defineEntity, p } from "@mikro-orm/core";

export const SpecialtySchema = defineEntity({
  name: "Specialty",
  tableName: "specialty",
  properties: {
    id: p.uuid().primary().onCreate(() => randomUUID()),
    name: p.string().columnType("citext").unique(),
  },
});
export class Specialty extends SpecialtySchema.class {}
SpecialtySchema.setClass(Specialty);
