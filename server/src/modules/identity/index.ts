/** Identity: accounts, sessions, codes, two-factor, clinic memberships, the principal and the one permission table (docs/identity.md, docs/access.md). */
import type { Module } from "../../platform/module";
import { registerAuthentication } from "./authenticate";
import { AuthSessionSchema, RefreshTokenSchema } from "./session.entity";
import { OneTimeCodeSchema, TotpBackupCodeSchema } from "./code.entity";
import { UserAccountSchema } from "./user.entity";
import { identityRoutes } from "./identity.routes";
import { principalFromToken } from "./principal";
import { boardAccess } from "./board-access";
import { sessionGuard, sessionSocketsSubscriber } from "./session.realtime";
import "./identity.ports";

export const identityModule: Module = {
  name: "identity",
  entities: () => [UserAccountSchema, AuthSessionSchema, RefreshTokenSchema, OneTimeCodeSchema, TotpBackupCodeSchema],
  provide: (ctx) => ({ boardAccess: boardAccess(ctx) }),
  http: (app, ctx) => registerAuthentication(app, ctx.config.auth.jwtSecret),
  routes: (ctx) => identityRoutes(ctx),
  subscribers: (ctx) => [sessionSocketsSubscriber(ctx)],
  // A signed-in socket lives as long as its session.
  topics: (realtime, ctx) => realtime.guard(sessionGuard(ctx)),
  // Sockets sign in with the same access tokens as HTTP (`auth.token`); display tokens are the queue's.
  socketPrincipal: (ctx) => async (auth) => {
    if (auth.displayToken !== undefined) return undefined;
    return typeof auth.token === "string" ? principalFromToken(ctx.orm.em.fork(), ctx.config.auth.jwtSecret, auth.token) : null;
  },
};

// What other modules may use.
export { actsAsClinicStaff, adminClinicAmong, authorize, can, type AccessScope, type Permission } from "./access";
export { requireUser } from "./authenticate";
export { asUser, type UserPrincipal } from "./principal";
export { revokeUserSessions } from "./session.service";
export { sha256 } from "./tokens";
export { UserAccount } from "./user.entity";
export type { AccountMessages, AccountProfiles } from "./identity.ports";
