import { randomUUID } from "node:crypto";
import { defineEntity, p } from "@mikro-orm/core";
import { UserAccount } from "./user.entity";

/** One signed-in device: a family of rotating refresh tokens. Revoking it ends the family. */
export const AuthSessionSchema = defineEntity({
  name: "AuthSession",
  tableName: "auth_session",
  indexes: [{ properties: ["user"] }],
  properties: {
    id: p.uuid().primary().onCreate(() => randomUUID()),
    user: () => p.manyToOne(UserAccount).deleteRule("cascade"),
    createdAt: p.datetime().defaultRaw("now()").onCreate(() => new Date()),
    lastUsedAt: p.datetime().defaultRaw("now()").onCreate(() => new Date()),
    expiresAt: p.datetime(),
    revokedAt: p.datetime().nullable(),
    revokedReason: p.string().length(64).nullable(),
    userAgent: p.string().length(512).nullable(),
    ip: p.string().length(64).nullable(),
  },
});
export class AuthSession extends AuthSessionSchema.class {}
AuthSessionSchema.setClass(AuthSession);

/** A refresh token, stored as a SHA-256 hash; `usedAt` marks it rotated (a second use is theft). */
export const RefreshTokenSchema = defineEntity({
  name: "RefreshToken",
  tableName: "refresh_token",
  properties: {
    id: p.uuid().primary().onCreate(() => randomUUID()),
    session: () => p.manyToOne(AuthSession).deleteRule("cascade").index(),
    tokenHash: p.string().length(64),
    createdAt: p.datetime().defaultRaw("now()").onCreate(() => new Date()),
    usedAt: p.datetime().nullable(),
  },
});
export class RefreshToken extends RefreshTokenSchema.class {}
RefreshTokenSchema.setClass(RefreshToken);
