/**
 * The notifications queue: `deliver` sends one outbox row; `outbox-relay` (repeating) re-dispatches
 * queued rows whose delivery job never made it to Redis (a crash between commit and dispatch, a
 * Redis outage, rows written with the older `enqueueMessage`). Job ids dedupe the two.
 */
import type { Job } from "bullmq";
import type { EntityManager } from "@mikro-orm/postgresql";
import type { ModuleContext } from "../../platform/module";
import type { JobDefinition } from "../../platform/queues";
import { createChannelSenders, type ChannelSenders } from "./channels";
import { deliver } from "./delivery";
import { startMailCatcher } from "./dev-mailbox";
import { DELIVERY_JOB, dispatchMessages } from "./notify";

export const OUTBOX_RELAY_JOB = "outbox-relay";
const RELAY_BATCH = 500;

export function notificationJobs(ctx: ModuleContext): JobDefinition<never>[] {
  // Built on first use (once, however many deliveries start together): only worker processes send.
  let senders: Promise<ChannelSenders> | undefined;
  const catcher = () => startMailCatcher(ctx.redis, ctx.config.redis.prefix, ctx.log);
  const relaySeconds = ctx.config.notifications.relaySeconds;

  const delivery: JobDefinition<{ outboxId: string }> = {
    queue: "notifications",
    name: DELIVERY_JOB,
    async process(data, job: Job<{ outboxId: string }>) {
      senders ??= createChannelSenders(ctx.config.notifications, ctx.config.http.publicUrl, catcher);
      const last = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      return deliver(ctx, await senders, data.outboxId, { last });
    },
  };

  const relay: JobDefinition<Record<string, never>> = {
    queue: "notifications",
    name: OUTBOX_RELAY_JOB,
    repeat: { everyMs: relaySeconds * 1000 },
    async process() {
      // Older than one relay period, so a row whose after-commit dispatch is still on its way is left to it.
      const rows = await (ctx.orm.em.fork() as EntityManager).execute<{ id: string }[]>(
        `select id from notification_outbox
          where status = 'queued' and created_at < now() - make_interval(secs => ?)
          order by created_at limit ?`,
        [relaySeconds, RELAY_BATCH],
      );
      await dispatchMessages(ctx, rows.map((row) => row.id));
      return { dispatched: rows.length };
    },
  };

  return [delivery as JobDefinition<never>, relay as JobDefinition<never>];
}
