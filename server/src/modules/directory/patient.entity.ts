import { randomUUID } from "node:crypto";
import { defineEntity, p } from "@mikro-orm/core";
import { subscriptionTiers } from "@clinic/shared";
import { UserAccount } from "../identity";
import { Doctor } from "./doctor.entity";

export const PatientSchema = defineEntity({
  name: "Patient",
  tableName: "patient",
  properties: {
    id: p.uuid().primary().onCreate(() => randomUUID()),
    user: () => p.oneToOne(UserAccount).owner().deleteRule("cascade"),
    fullName: p.string(),
    dateOfBirth: p.date().nullable(),
    phone: p.string().length(32).nullable(),
    email: p.string().nullable(),
    preferredLanguage: p.string().length(16).default("en"),
    subscriptionTier: p.enum(subscriptionTiers).default("none"),
    createdAt: p.datetime().defaultRaw("now()").onCreate(() => new Date()),
    updatedAt: p.datetime().defaultRaw("now()").onCreate(() => new Date()).onUpdate(() => new Date()),
  },
});
export class Patient extends PatientSchema.class {}
PatientSchema.setClass(Patient);

/** A doctor–patient relation: the "vise" tier books free only with a doctor it has one with. */
export const DoctorPatientSchema = defineEntity({
  name: "DoctorPatient",
  tableName: "doctor_patient",
  uniques: [{ properties: ["doctor", "patient"] }],
  properties: {
    id: p.uuid().primary().onCreate(() => randomUUID()),
    doctor: () => p.manyToOne(Doctor).deleteRule("cascade"),
    patient: () => p.manyToOne(Patient).deleteRule("cascade").index(),
    createdAt: p.datetime().defaultRaw("now()").onCreate(() => new Date()),
  },
});
export class DoctorPatient extends DoctorPatientSchema.class {}
DoctorPatientSchema.setClass(DoctorPatient);
