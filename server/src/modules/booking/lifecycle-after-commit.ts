/** The lifecycle's one step in afterBookingCommit: loyalty awards and admin alert checks, queued, never thrown. */
import type { ModuleContext } from "../../platform/module";
import type { Snapshot } from "./appointment.store";
import { queueCancellationAlerts } from "./cancellation-alerts";
import { queueLoyaltyAwards } from "./loyalty";

export async function queueLifecycleConsequences(ctx: ModuleContext, snapshot: Snapshot): Promise<void> {
  const results = await Promise.allSettled([queueLoyaltyAwards(ctx, snapshot), queueCancellationAlerts(ctx, snapshot)]);
  for (const result of results) {
    if (result.status === "rejected") ctx.log.warn({ err: result.reason as unknown }, "queueing a lifecycle consequence failed");
  }
}
