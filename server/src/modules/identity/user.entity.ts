import { randomUUID } from "node:crypto";
import { defineEntity, p } from "@mikro-orm/core";
import { accountStatuses, userRoles } from "@clinic/shared";

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
    status: p.enum(accountStatuses).default("active"),
    emailVerifiedAt: p.datetime().nullable(),
    phoneVerifiedAt: p.datetime().nullable(),
    /** Base32 TOTP secret; set at enrolment, active once `totpEnabledAt` is set. */
    totpSecret: p.string().length(64).nullable(),
    totpEnabledAt: p.datetime().nullable(),
    passwordChangedAt: p.datetime().nullable(),
    createdAt: p.datetime().defaultRaw("now()").onCreate(() => new Date()),
  },
});

export class UserAccount extends UserAccountSchema.class {}
UserAccountSchema.setClass(UserAccount);
