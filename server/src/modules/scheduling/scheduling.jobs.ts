/**
 * The rolling horizon (issue: worker jobs). `slot-horizon` (nightly) lays slots from every active
 * rule up to the horizon, so a doctor's bookable window keeps its length, and publishes them;
 * `slot-purge` (weekly) deletes free or expired slots that ended more than 7 days ago and that no
 * appointment points at (appointment history keeps its slots). Both are idempotent: a second run
 * finds nothing to do.
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import type { ModuleContext } from "../../platform/module";
import type { JobDefinition } from "../../platform/queues";
import { materialiseUpToHorizon } from "./materialise.service";

export const SLOT_HORIZON_JOB = "slot-horizon";
export const SLOT_PURGE_JOB = "slot-purge";
const PURGE_AFTER_DAYS = 7;

export async function purgeOldSlots(em: EntityManager): Promise<number> {
  const rows = await em.execute<{ id: string }[]>(
    `delete from slot s where s.ends_at < now() - make_interval(days => ?) and s.status in ('available', 'expired')
        and not exists (select 1 from appointment a where a.slot_id = s.id)
      returning s.id`,
    [PURGE_AFTER_DAYS],
  );
  return rows.length;
}

export function schedulingJobs(ctx: ModuleContext): JobDefinition<never>[] {
  const em = () => ctx.orm.em.fork() as EntityManager;
  const horizon: JobDefinition<Record<string, never>> = {
    queue: "maintenance",
    name: SLOT_HORIZON_JOB,
    repeat: { pattern: "30 2 * * *" },
    async process() {
      const result = await materialiseUpToHorizon(em());
      return { rules: result.rules, created: result.report.created, failed: result.failed.length };
    },
  };
  const purge: JobDefinition<Record<string, never>> = {
    queue: "maintenance",
    name: SLOT_PURGE_JOB,
    repeat: { pattern: "0 4 * * 0" },
    async process() {
      return { deleted: await purgeOldSlots(em()) };
    },
  };
  return [horizon, purge] as unknown as JobDefinition<never>[];
}
