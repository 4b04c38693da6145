import type { FastifyPluginAsync } from "fastify";
import type { EntityManager } from "@mikro-orm/postgresql";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import {
  identityAcceptedResponseSchema,
  loginBodySchema,
  loginResponseSchema,
  passwordChangeRequestSchema,
  passwordForgotBodySchema,
  passwordResetBodySchema,
  refreshRequestSchema,
  registerBodySchema,
  registerResponseSchema,
  resendCodeBodySchema,
  sessionIdParamsSchema,
  sessionListSchema,
  tokenPairSchema,
  totpCodeRequestSchema,
  totpEnableResponseSchema,
  totpSetupResponseSchema,
  userSchema,
  verifyBodySchema,
  verifyResponseSchema,
} from "@clinic/shared";
import type { ModuleContext } from "../../platform/module";
import { actorOf } from "../../platform/audit";
import {
  changePassword,
  forgotPassword,
  login,
  register,
  resendVerification,
  resetPassword,
  verifyAccount,
  type AuthDeps,
} from "./auth.service";
import { requireUser } from "./authenticate";
import { createLimits } from "./limits";
import { listSessions, refreshSession, revokeAllSessions, revokeSession } from "./session.service";
import { disableTotp, enableTotp, setupTotp } from "./totp.service";
import { UserAccount } from "./user.entity";
import { userView } from "./user.view";

/** Accounts and sessions: /auth/* and /me (docs/identity.md). */
export function identityRoutes(ctx: ModuleContext): FastifyPluginAsync {
  const limits = createLimits({ attempts: ctx.attempts, redis: ctx.redis, prefix: ctx.config.redis.prefix, log: ctx.log });
  const deps: AuthDeps = { limits, jwtSecret: ctx.config.auth.jwtSecret, profiles: ctx.ports.accountProfiles, messages: ctx.ports.accountMessages };
  const emOf = () => ctx.orm.em.fork() as EntityManager;

  return async (plugin) => {
    const app = plugin.withTypeProvider<ZodTypeProvider>();

    app.post(
      "/auth/register",
      {
        schema: {
          tags: ["auth"],
          summary: "Create a patient or doctor account; a verification code is sent to the email or phone",
          body: registerBodySchema,
          response: { 201: registerResponseSchema },
        },
      },
      async (request, reply) => {
        const { userId } = await register(emOf(), deps, request.body, actorOf(request));
        return reply.code(201).send({ userId, verification: "sent" as const });
      },
    );

    app.post(
      "/auth/verify",
      {
        schema: {
          tags: ["auth"],
          summary: "Verify the account's email or phone with the 6-digit code",
          body: verifyBodySchema,
          response: { 200: verifyResponseSchema },
        },
      },
      async (request) => {
        await verifyAccount(emOf(), deps, request.body, actorOf(request));
        return { verified: true as const };
      },
    );

    app.post(
      "/auth/verify/resend",
      {
        schema: {
          tags: ["auth"],
          summary: "Send a new verification code (always 202, whether or not the account exists)",
          body: resendCodeBodySchema,
          response: { 202: identityAcceptedResponseSchema },
        },
      },
      async (request, reply) => {
        await resendVerification(emOf(), deps, request.body, actorOf(request));
        return reply.code(202).send({ accepted: true as const });
      },
    );

    app.post(
      "/auth/login",
      {
        schema: {
          tags: ["auth"],
          summary: "Sign in with email or phone and password (plus a TOTP or backup code when two-factor is on)",
          body: loginBodySchema,
          response: { 200: loginResponseSchema },
        },
      },
      async (request) => login(emOf(), deps, request.body, actorOf(request)),
    );

    app.post(
      "/auth/refresh",
      {
        schema: {
          tags: ["auth"],
          summary: "Exchange a refresh token for a new token pair (the presented token is used up)",
          body: refreshRequestSchema,
          response: { 200: tokenPairSchema },
        },
      },
      async (request) => refreshSession(emOf(), deps.jwtSecret, request.body.refreshToken, actorOf(request)),
    );

    app.post(
      "/auth/logout",
      { schema: { tags: ["auth"], summary: "End the current session (its access token stops working at once)" } },
      async (request, reply) => {
        const user = requireUser(request);
        await revokeSession(emOf(), user.userId, user.sessionId, actorOf(request), "logout");
        return reply.code(204).send();
      },
    );

    app.post(
      "/auth/logout-all",
      { schema: { tags: ["auth"], summary: "End every session of the signed-in user" } },
      async (request, reply) => {
        const user = requireUser(request);
        await revokeAllSessions(emOf(), user.userId, actorOf(request));
        return reply.code(204).send();
      },
    );

    app.get(
      "/auth/sessions",
      {
        schema: { tags: ["auth"], summary: "The signed-in user's live sessions", response: { 200: sessionListSchema } },
      },
      async (request) => {
        const user = requireUser(request);
        return { items: await listSessions(emOf(), user.userId, user.sessionId) };
      },
    );

    app.delete(
      "/auth/sessions/:id",
      { schema: { tags: ["auth"], summary: "End one of your own sessions", params: sessionIdParamsSchema } },
      async (request, reply) => {
        const user = requireUser(request);
        const reason = request.params.id === user.sessionId ? "logout" : "revoked";
        await revokeSession(emOf(), user.userId, request.params.id, actorOf(request), reason);
        return reply.code(204).send();
      },
    );

    app.post(
      "/auth/password/forgot",
      {
        schema: {
          tags: ["auth"],
          summary: "Send a password reset code (always 202, whether or not the account exists)",
          body: passwordForgotBodySchema,
          response: { 202: identityAcceptedResponseSchema },
        },
      },
      async (request, reply) => {
        await forgotPassword(emOf(), deps, request.body, actorOf(request));
        return reply.code(202).send({ accepted: true as const });
      },
    );

    app.post(
      "/auth/password/reset",
      {
        schema: {
          tags: ["auth"],
          summary: "Set a new password with the reset code; every session ends",
          body: passwordResetBodySchema,
        },
      },
      async (request, reply) => {
        await resetPassword(emOf(), deps, request.body, actorOf(request));
        return reply.code(204).send();
      },
    );

    app.post(
      "/auth/password/change",
      {
        schema: {
          tags: ["auth"],
          summary: "Change the password; every other session ends",
          body: passwordChangeRequestSchema,
        },
      },
      async (request, reply) => {
        const user = requireUser(request);
        await changePassword(emOf(), deps, user, request.body, actorOf(request));
        return reply.code(204).send();
      },
    );

    app.post(
      "/auth/totp/setup",
      {
        schema: {
          tags: ["auth"],
          summary: "Start two-factor enrolment: a secret and otpauth URI for an authenticator app",
          response: { 200: totpSetupResponseSchema },
        },
      },
      async (request) => {
        const user = requireUser(request);
        return setupTotp(emOf(), user.userId, actorOf(request));
      },
    );

    app.post(
      "/auth/totp/enable",
      {
        schema: {
          tags: ["auth"],
          summary: "Confirm enrolment with a current code; returns 10 single-use backup codes, shown once",
          body: totpCodeRequestSchema,
          response: { 200: totpEnableResponseSchema },
        },
      },
      async (request) => {
        const user = requireUser(request);
        return enableTotp(emOf(), limits, user.userId, request.body.code, actorOf(request));
      },
    );

    app.post(
      "/auth/totp/disable",
      {
        schema: {
          tags: ["auth"],
          summary: "Turn two-factor off with a current or backup code (refused for staff and admins)",
          body: totpCodeRequestSchema,
        },
      },
      async (request, reply) => {
        const user = requireUser(request);
        await disableTotp(emOf(), limits, user.userId, request.body.code, actorOf(request));
        return reply.code(204).send();
      },
    );

    app.get(
      "/me",
      { schema: { tags: ["auth"], summary: "The signed-in user", response: { 200: userSchema } } },
      async (request) => {
        const principal = requireUser(request);
        const em = emOf();
        const user = await em.findOneOrFail(UserAccount, { id: principal.userId });
        return userView(em, user, deps.profiles, principal);
      },
    );
  };
}
