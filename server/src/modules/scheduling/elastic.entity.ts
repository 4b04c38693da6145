import { randomUUID } from "node:crypto";
import { defineEntity, p } from "@mikro-orm/core";
import { allocationStatuses } from "@clinic/shared";
import { Clinic, Doctor, Patient, ClinicService } from "../directory";

/** A stretch of a doctor's time with a capacity in minutes, filled by allocations of any length. */
export const ElasticBlockSchema = defineEntity({
  name: "ElasticBlock",
  tableName: "elastic_block",
  indexes: [{ properties: ["doctor", "startsAt"] }],
  properties: {
    id: p.uuid().primary().onCreate(() => randomUUID()),
    doctor: () => p.manyToOne(Doctor).deleteRule("cascade"),
    clinic: () => p.manyToOne(Clinic).deleteRule("cascade"),
    startsAt: p.datetime(),
    endsAt: p.datetime(),
    capacityMinutes: p.integer(),
    note: p.text().nullable(),
    version: p.integer().default(1),
    createdAt: p.datetime().defaultRaw("now()").onCreate(() => new Date()),
    updatedAt: p.datetime().defaultRaw("now()").onCreate(() => new Date()).onUpdate(() => new Date()),
  },
});
export class ElasticBlock extends ElasticBlockSchema.class {}
ElasticBlockSchema.setClass(ElasticBlock);

/** One appointment's share of a block; `expectedStartAt` is recomputed whenever the block changes. */
export const ElasticAllocationSchema = defineEntity({
  name: "ElasticAllocation",
  tableName: "elastic_allocation",
  properties: {
    id: p.uuid().primary().onCreate(() => randomUUID()),
    block: () => p.manyToOne(ElasticBlock).deleteRule("cascade").index(),
    service: () => p.manyToOne(ClinicService).nullable().deleteRule("set null"),
    patient: () => p.manyToOne(Patient).nullable().deleteRule("set null"),
    durationMinutes: p.integer(),
    position: p.integer(),
    expectedStartAt: p.datetime(),
    status: p.enum(allocationStatuses).default("proposed"),
    createdAt: p.datetime().defaultRaw("now()").onCreate(() => new Date()),
    updatedAt: p.datetime().defaultRaw("now()").onCreate(() => new Date()).onUpdate(() => new Date()),
  },
});
export class ElasticAllocation extends ElasticAllocationSchema.class {}
ElasticAllocationSchema.setClass(ElasticAllocation);
