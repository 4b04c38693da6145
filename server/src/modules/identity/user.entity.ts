import { randomUUID } from "node:crypto";
import { defineEntity, p } from "@mikro-orm/core";

export const userRoles = ["patient", "doctor", "receptionist", "clinic_admin", "platform_admin"] as const;
export type UserRole = (typeof userRoles)[number];

/** A person who signs in. Email is citext so logins ignore case. */
export const UserAccountSchema = defineEntity({
  name: "UserAccount",
  tableName: "user_account",
  checks: [{ name: "user_account_has_login", expression: "email is not null or phone is not null" }],
  properties: {
    id: p.uuid().primary().onCreate(() => randomUUID()),
    email: p.string().columnType("citext").unique().nullable(),
    phone: p.string().length(32).unique().nullable(),
    passwordHash: p.text(),
    role: p.enum(userRoles),
    displayName: p.string(),
    createdAt: p.datetime().defaultRaw("now()").onCreate(() => new Date()),
  },
});

export class UserAccount extends UserAccountSchema.class {}
UserAccountSchema.setClass(UserAccount);
