import type { ModuleContext } from "../../platform/module";
import type { JobDefinition } from "../../platform/queues";

/** The booking module's background jobs (hold expiry). */
export function bookingJobs(_ctx: ModuleContext): JobDefinition<never>[] {
  return [];
}
