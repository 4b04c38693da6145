/**
 * Notifications routes (docs/notifications.md): the caller's inbox and channel preferences, the
 * outbox for admins, and Twilio's signed delivery reports.
 */
import type { FastifyPluginAsync } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import type { EntityManager } from "@mikro-orm/postgresql";
import {
  idParams,
  devMailboxSchema,
  inboxItemSchema,
  inboxPageSchema,
  inboxQuerySchema,
  notificationPreferencesSchema,
  outboxPageSchema,
  outboxQuerySchema,
  readAllReplySchema,
  twilioStatusCallbackSchema,
  updateNotificationPreferencesSchema,
} from "@clinic/shared";
import type { ModuleContext } from "../../platform/module";
import { denied, notFound } from "../../platform/errors";
import { actorOf, recordAudit } from "../../platform/audit";
import { authorize, requireUser } from "../identity";
import { TWILIO_STATUS_PATH } from "./channels";
import { readMailbox } from "./dev-mailbox";
import { listInbox, markAllRead, markRead } from "./inbox.service";
import { listOutbox } from "./outbox.query";
import { preferencesView, readPreferences, writePreferences } from "./preferences";
import { applyTwilioStatus, parseForm, validTwilioSignature } from "./twilio-status";

const tags = ["notifications"];

export function notificationRoutes(ctx: ModuleContext): FastifyPluginAsync {
  const em = () => ctx.orm.em.fork() as EntityManager;

  const preferencesOf = async (manager: EntityManager, userId: string) => {
    const preferences = (await readPreferences(manager, [userId])).get(userId);
    if (!preferences) throw notFound("Account");
    return preferencesView(preferences);
  };

  return async (plugin) => {
    const app = plugin.withTypeProvider<ZodTypeProvider>();

    // Development only: absent (404) when the mailbox is off, as always in production.
    if (ctx.config.notifications.devMailbox) {
      app.get(
        "/dev/mailbox",
        { schema: { tags, summary: "Development only: the email the local mail catcher caught, newest first (no sign-in)", response: { 200: devMailboxSchema } } },
        async () => ({ items: await readMailbox(ctx.redis, ctx.config.redis.prefix) }),
      );
    }

    app.get(
      "/me/notifications",
      { schema: { tags, summary: "The caller's in-app messages, newest first, with the unread count", querystring: inboxQuerySchema, response: { 200: inboxPageSchema } } },
      async (request) => listInbox(em(), requireUser(request).userId, request.query),
    );

    app.post(
      "/me/notifications/:notificationId/read",
      { schema: { tags, summary: "Mark one in-app message read (idempotent)", params: idParams("notificationId"), response: { 200: inboxItemSchema } } },
      async (request) => {
        const { userId } = requireUser(request);
        return (await markRead(em(), actorOf(request), userId, request.params.notificationId)).item;
      },
    );

    app.post(
      "/me/notifications/read-all",
      { schema: { tags, summary: "Mark every in-app message read", response: { 200: readAllReplySchema } } },
      async (request) => {
        const { userId } = requireUser(request);
        return { marked: await markAllRead(em(), actorOf(request), userId), unread: 0 as const };
      },
    );

    app.get(
      "/me/notification-preferences",
      { schema: { tags, summary: "The caller's channels, quiet hours and language", response: { 200: notificationPreferencesSchema } } },
      async (request) => preferencesOf(em(), requireUser(request).userId),
    );

    app.put(
      "/me/notification-preferences",
      {
        schema: {
          tags,
          summary: "Choose email/sms/push and quiet hours (null: none); in-app is always on",
          body: updateNotificationPreferencesSchema,
          response: { 200: notificationPreferencesSchema },
        },
      },
      async (request) => {
        const { userId } = requireUser(request);
        return em().transactional(async (tx) => {
          const before = await preferencesOf(tx, userId);
          await writePreferences(tx, userId, request.body);
          const after = await preferencesOf(tx, userId);
          recordAudit(tx, actorOf(request), { action: "notification.preferences.update", entityType: "NotificationPreference", entityId: userId, before, after });
          return after;
        });
      },
    );

    app.get(
      "/notifications/outbox",
      {
        schema: {
          tags,
          summary: "Delivery status of outgoing messages (platform admins: all; clinic admins: their clinic's, clinicId required)",
          querystring: outboxQuerySchema,
          response: { 200: outboxPageSchema },
        },
      },
      async (request) => {
        authorize(requireUser(request), "notifications.outbox.read", { clinicId: request.query.clinicId });
        return listOutbox(em(), request.query);
      },
    );

    await app.register(async (scope) => {
      // Twilio posts form-encoded; parsed here only, keeping repeated names for the signature.
      scope.addContentTypeParser("application/x-www-form-urlencoded", { parseAs: "string" }, (_request, body, done) =>
        done(null, parseForm(body as string)),
      );
      scope.withTypeProvider<ZodTypeProvider>().post(
        TWILIO_STATUS_PATH.replace(/^\/api\/v1/, ""),
        {
          schema: { tags, summary: "Twilio SMS delivery reports (X-Twilio-Signature required)", body: twilioStatusCallbackSchema },
          // Before validation: an unsigned request learns nothing, not even what a valid body looks like.
          preValidation: async (request) => {
            const token = ctx.config.notifications.twilio?.authToken;
            const publicUrl = ctx.config.http.publicUrl;
            const query = request.url.includes("?") ? request.url.slice(request.url.indexOf("?")) : "";
            const url = publicUrl ? new URL(TWILIO_STATUS_PATH, publicUrl).toString() + query : `${request.protocol}://${request.host}${request.url}`;
            const params = (request.body ?? {}) as Record<string, string | string[]>;
            const signature = request.headers["x-twilio-signature"];
            if (!token || typeof signature !== "string" || !validTwilioSignature(token, url, params, signature)) {
              throw denied("BAD_SIGNATURE", "The X-Twilio-Signature header is missing or wrong");
            }
          },
        },
        async (request, reply) => {
          await applyTwilioStatus(em(), actorOf(request), request.body);
          return reply.code(204).send();
        },
      );
    });
  };
}
