/**
 * Jobs of the slot and appointment lifecycle: `slot-lifecycle` (queue "maintenance", repeating every
 * LIFECYCLE_EVERY_SECONDS), `loyalty-award` and `cancellation-alerts` (queue "booking", queued after
 * commit by afterBookingCommit). Each re-checks the database, so a retry or duplicate is a no-op.
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import type { ModuleContext } from "../../platform/module";
import type { JobDefinition } from "../../platform/queues";
import { LIFECYCLE_JOB, runLifecycle } from "./appointment-lifecycle";
import { BookingService } from "./booking.service";
import { CANCELLATION_ALERTS_JOB, checkCancellationAlerts, type CancellationAlertData } from "../alerts/cancellation-alerts";
import { awardLoyaltyPoints, LOYALTY_AWARD_JOB, type LoyaltyAwardData } from "../loyalty/loyalty.service";

export function lifecycleJobs(ctx: ModuleContext): JobDefinition<never>[] {
  let booking: BookingService | undefined;
  const lifecycle: JobDefinition<Record<string, never>> = {
    queue: "maintenance",
    name: LIFECYCLE_JOB,
    repeat: { everyMs: ctx.config.booking.lifecycleEverySeconds * 1000 },
    async process() {
      booking ??= new BookingService(ctx);
      return runLifecycle(ctx, booking);
    },
  };
  const loyalty: JobDefinition<LoyaltyAwardData> = {
    queue: "booking",
    name: LOYALTY_AWARD_JOB,
    process: (data) => awardLoyaltyPoints(ctx.orm.em.fork() as EntityManager, data.appointmentId),
  };
  const alerts: JobDefinition<CancellationAlertData> = {
    queue: "booking",
    name: CANCELLATION_ALERTS_JOB,
    process: (data) => checkCancellationAlerts(ctx, data),
  };
  return [lifecycle, loyalty, alerts] as unknown as JobDefinition<never>[];
}
