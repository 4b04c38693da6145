/** `loyalty-award` (queue "booking", jobId `loyalty-{appointmentId}`): re-checks the appointment, awards once. */
import type { EntityManager } from "@mikro-orm/postgresql";
import type { ModuleContext } from "../../platform/module";
import type { JobDefinition } from "../../platform/queues";
import { awardLoyaltyPoints, LOYALTY_AWARD_JOB, type LoyaltyAwardData } from "./loyalty.service";

export function loyaltyJobs(ctx: ModuleContext): JobDefinition<never>[] {
  const award: JobDefinition<LoyaltyAwardData> = {
    queue: "booking",
    name: LOYALTY_AWARD_JOB,
    process: (data) => awardLoyaltyPoints(ctx.orm.em.fork() as EntityManager, data.appointmentId),
  };
  return [award as unknown as JobDefinition<never>];
}
