/** `cancellation-alerts` (queue "booking"): checks the alert rules against the database (cancellation-alerts.ts). */
import type { ModuleContext } from "../../platform/module";
import type { JobDefinition } from "../../platform/queues";
import { CANCELLATION_ALERTS_JOB, checkCancellationAlerts, type CancellationAlertData } from "./cancellation-alerts";

export function alertJobs(ctx: ModuleContext): JobDefinition<never>[] {
  const alerts: JobDefinition<CancellationAlertData> = {
    queue: "booking",
    name: CANCELLATION_ALERTS_JOB,
    process: (data) => checkCancellationAlerts(ctx, data),
  };
  return [alerts as unknown as JobDefinition<never>];
}
