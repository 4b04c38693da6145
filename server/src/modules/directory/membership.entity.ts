import { randomUUID } from "node:crypto";
import { defineEntity, p } from "@mikro-orm/core";
import { clinicRoles } from "@clinic/shared";
import { UserAccount } from "../identity";
import { Clinic } from "./clinic.entity";

/**
 * A staff role held at one clinic: a receptionist of clinic A can do nothing at clinic B. Directory
 * manages them (membership.routes.ts); identity reads them into the principal.
 */
export const ClinicMembershipSchema = defineEntity({
  name: "ClinicMembership",
  tableName: "clinic_membership",
  uniques: [{ properties: ["user", "clinic", "role"] }],
  properties: {
    id: p.uuid().primary().onCreate(() => randomUUID()),
    user: () => p.manyToOne(UserAccount).deleteRule("cascade"),
    clinic: () => p.manyToOne(Clinic).deleteRule("cascade"),
    role: p.enum(clinicRoles),
    createdAt: p.datetime().defaultRaw("now()").onCreate(() => new Date()),
  },
});

export class ClinicMembership extends ClinicMembershipSchema.class {}
ClinicMembershipSchema.setClass(ClinicMembership);
