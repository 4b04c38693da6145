/**
 * `slot-lifecycle` (queue "maintenance", repeating every LIFECYCLE_EVERY_SECONDS and run at each
 * worker's start): lapsed holds expire, past free slots expire, missed visits are flagged
 * (appointment-lifecycle.ts). It re-checks the database, so a retry or a duplicate is a no-op.
 */
import type { ModuleContext } from "../../platform/module";
import type { JobDefinition } from "../../platform/queues";
import { LIFECYCLE_JOB, runLifecycle } from "./appointment-lifecycle";
import { BookingService } from "./booking.service";

export function lifecycleJobs(ctx: ModuleContext): JobDefinition<never>[] {
  let booking: BookingService | undefined;
  const lifecycle: JobDefinition<Record<string, never>> = {
    queue: "maintenance",
    name: LIFECYCLE_JOB,
    repeat: { everyMs: ctx.config.booking.lifecycleEverySeconds * 1000 },
    runAtStart: true,
    async process() {
      booking ??= new BookingService(ctx);
      return runLifecycle(ctx, booking);
    },
  };
  return [lifecycle as unknown as JobDefinition<never>];
}
