import { randomUUID } from "node:crypto";
import { defineEntity, p } from "@mikro-orm/core";
import { approvalStatuses, employmentTypes, type DoctorCredentials } from "@clinic/shared";
import { UserAccount } from "../identity";
import { Clinic } from "./clinic.entity";
import { Specialty } from "./specialty.entity";

/** A doctor's public profile. Only approved doctors of active accounts are listed or bookable. */
export const DoctorSchema = defineEntity({
  name: "Doctor",
  tableName: "doctor",
  properties: {
    id: p.uuid().primary().onCreate(() => randomUUID()),
    user: () => p.oneToOne(UserAccount).owner().deleteRule("cascade"),
    displayName: p.string(),
    bio: p.text().nullable(),
    languages: p.array().default([]),
    experienceYears: p.integer().nullable(),
    /** Minor units (pence, cents) in `currency`. */
    consultationFeeMinor: p.integer().default(0),
    currency: p.string().length(3).default("GBP"),
    employmentType: p.enum(employmentTypes).default("full_time"),
    /** Contracted hours a week (part-time and full-time); locums have ad-hoc availability only. */
    maxHoursPerWeek: p.integer().nullable(),
    approvalStatus: p.enum(approvalStatuses).default("pending"),
    approvalNote: p.text().nullable(),
    credentials: p.json<DoctorCredentials>().nullable(),
    ratingAverage: p.double().default(0),
    ratingCount: p.integer().default(0),
    specialties: () => p.manyToMany(Specialty).owner().pivotTable("doctor_specialty"),
    clinics: () => p.manyToMany(Clinic).owner().pivotTable("doctor_clinic"),
    createdAt: p.datetime().defaultRaw("now()").onCreate(() => new Date()),
    updatedAt: p.datetime().defaultRaw("now()").onCreate(() => new Date()).onUpdate(() => new Date()),
  },
});
export class Doctor extends DoctorSchema.class {}
DoctorSchema.setClass(Doctor);
