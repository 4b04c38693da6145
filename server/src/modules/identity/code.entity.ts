import { randomUUID } from "node:crypto";
import { defineEntity, p } from "@mikro-orm/core";
import { UserAccount } from "./user.entity";

export const codePurposes = ["verify", "reset"] as const;
export type CodePurpose = (typeof codePurposes)[number];

/** A 6-digit one-time code, hashed at rest, with an expiry and a try budget. */
export const OneTimeCodeSchema = defineEntity({
  name: "OneTimeCode",
  tableName: "one_time_code",
  indexes: [{ properties: ["user", "purpose"] }],
  properties: {
    id: p.uuid().primary().onCreate(() => randomUUID()),
    user: () => p.manyToOne(UserAccount).deleteRule("cascade"),
    purpose: p.enum(codePurposes),
    codeHash: p.string().length(64),
    expiresAt: p.datetime(),
    attempts: p.integer().default(0),
    consumedAt: p.datetime().nullable(),
    createdAt: p.datetime().defaultRaw("now()").onCreate(() => new Date()),
  },
});
export class OneTimeCode extends OneTimeCodeSchema.class {}
OneTimeCodeSchema.setClass(OneTimeCode);

/** A single-use TOTP backup code, hashed. */
export const TotpBackupCodeSchema = defineEntity({
  name: "TotpBackupCode",
  tableName: "totp_backup_code",
  properties: {
    id: p.uuid().primary().onCreate(() => randomUUID()),
    user: () => p.manyToOne(UserAccount).deleteRule("cascade").index(),
    codeHash: p.string().length(64),
    usedAt: p.datetime().nullable(),
  },
});
export class TotpBackupCode extends TotpBackupCodeSchema.class {}
TotpBackupCodeSchema.setClass(TotpBackupCode);
