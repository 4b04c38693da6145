/**
 * How queue writers ask for a doctor's ETAs to be recomputed, after their commit: one `eta-recompute`
 * job per doctor and clinic, deduplicated while one is still waiting (a burst of changes makes one
 * recomputation, which reads the state as it is when it runs).
 */
import type { ModuleContext } from "../../platform/module";

export const ETA_RECOMPUTE_JOB = "eta-recompute";

export interface EtaRecomputeData {
  clinicId: string;
  doctorId: string;
}

export async function queueEtaRecompute(ctx: Pick<ModuleContext, "queues" | "log">, targets: EtaRecomputeData[]): Promise<void> {
  const unique = new Map(targets.map((target) => [`${target.clinicId}-${target.doctorId}`, target]));
  try {
    await Promise.all(
      [...unique].map(([key, data]) =>
        ctx.queues.get("maintenance").add(ETA_RECOMPUTE_JOB, data, { deduplication: { id: `eta-${key}` }, removeOnComplete: true }),
      ),
    );
  } catch (error) {
    // The next change (or the periodic run) recomputes; ETAs are estimates.
    ctx.log.warn({ err: error }, "queueing an ETA recompute failed");
  }
}
