/** The live queue: check-in, walk-ins, call-next, actions, ETAs, the display feed and display tokens (docs/queue.md). */
import type { Module } from "../../platform/module";
import { DisplayTokenSchema } from "./display-token.entity";
import { EtaNoticeSchema } from "./eta-notice.entity";
import { QueueEntrySchema, QueueTicketCounterSchema } from "./queue-entry.entity";
import { queueRoutes } from "./queue.routes";
import { queueMetricsRoutes } from "./queue-metrics.routes";
import { displayTokenRoutes } from "./display-token.routes";
import { principalFromDisplayToken } from "./display-token.service";
import { etaJobs, etaRecomputeOnChanges } from "./eta.jobs";
import { etaRealtime, queueRealtime, registerQueueTopics } from "./queue.realtime";
import { queueMessages } from "./queue-messages";

export const queueModule: Module = {
  name: "queue",
  entities: () => [DisplayTokenSchema, QueueEntrySchema, QueueTicketCounterSchema, EtaNoticeSchema],
  routes: (ctx, host) => async (app) => {
    await app.register(queueRoutes(ctx));
    await app.register(queueMetricsRoutes(ctx));
    // Revoking a display token disconnects its sockets: these routes need the gateway.
    await app.register(displayTokenRoutes(ctx, host.realtime));
  },
  jobs: (ctx) => etaJobs(ctx),
  topics: (realtime, ctx) => registerQueueTopics(realtime, ctx),
  subscribers: (ctx) => [queueRealtime(ctx), etaRealtime(ctx), etaRecomputeOnChanges(ctx), queueMessages(ctx)],
  // Waiting-room screens connect with a display token (`auth.displayToken`), never with both kinds.
  socketPrincipal: (ctx) => async (auth) => {
    if (auth.displayToken === undefined) return undefined;
    return typeof auth.displayToken === "string" && auth.token === undefined ? principalFromDisplayToken(ctx.orm.em.fork(), auth.displayToken) : null;
  },
};
