/** Every module's HTTP routes, under /api/v1. */
import type { FastifyPluginAsync } from "fastify";
import type { ModuleContext } from "../platform/module";
import { auditRoutes } from "./audit/audit.routes";
import { bookingRoutes } from "./booking/booking.routes";
import { loyaltyRoutes } from "./loyalty/loyalty.routes";
import { waitlistRoutes } from "./waitlist/waitlist.routes";
import { directoryRoutes } from "./directory/directory.routes";
import { identityRoutes } from "./identity/identity.routes";
import { notificationRoutes } from "./notifications/notifications.routes";
import { paymentRoutes } from "./payments/payments.routes";
import { queueRoutes } from "./queue/queue.routes";
import { queueMetricsRoutes } from "./queue/queue-metrics.routes";
import { reviewRoutes } from "./reviews/review.routes";
import { schedulingRoutes } from "./scheduling/scheduling.routes";

export function moduleRoutes(ctx: ModuleContext): FastifyPluginAsync {
  return async (app) => {
    await app.register(identityRoutes(ctx));
    await app.register(directoryRoutes(ctx));
    await app.register(auditRoutes(ctx));
    await app.register(schedulingRoutes(ctx));
    await app.register(bookingRoutes(ctx));
    await app.register(waitlistRoutes(ctx));
    await app.register(loyaltyRoutes(ctx));
    await app.register(notificationRoutes(ctx));
    await app.register(queueRoutes(ctx));
    await app.register(queueMetricsRoutes(ctx));
    await app.register(reviewRoutes(ctx));
    await app.register(paymentRoutes(ctx));
  };
}
