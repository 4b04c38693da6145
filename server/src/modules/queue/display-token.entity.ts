import { randomUUID } from "node:crypto";
import { defineEntity, p } from "@mikro-orm/core";
import { Clinic } from "../directory";
import { UserAccount } from "../identity";

/**
 * A waiting-room screen's credential, scoped to one clinic: it may only watch `display:{clinicId}`.
 * The token (`dsp_<id>.<secret>`) is shown once at creation; only SHA-256(secret) is kept.
 */
export const DisplayTokenSchema = defineEntity({
  name: "DisplayToken",
  tableName: "display_token",
  indexes: [{ properties: ["clinic", "createdAt"] }],
  properties: {
    id: p.uuid().primary().onCreate(() => randomUUID()),
    clinic: () => p.manyToOne(Clinic).deleteRule("cascade"),
    /** The screen's label, e.g. "Lobby TV". */
    name: p.string().length(100),
    /** Hex SHA-256 of the secret half of the token; never the secret. */
    secretHash: p.string().length(64),
    createdBy: () => p.manyToOne(UserAccount).nullable().deleteRule("set null"),
    createdAt: p.datetime().defaultRaw("now()").onCreate(() => new Date()),
    lastUsedAt: p.datetime().nullable(),
    revokedAt: p.datetime().nullable(),
  },
});
export class DisplayToken extends DisplayTokenSchema.class {}
DisplayTokenSchema.setClass(DisplayToken);
