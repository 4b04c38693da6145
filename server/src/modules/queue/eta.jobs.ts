/**
 * The ETA jobs (queue "maintenance"): `eta-recompute` {clinicId, doctorId}, queued after commit by
 * every queue writer through eta.trigger.ts (deduplicated while one waits), and `eta-sweep`,
 * repeating every ETA_EVERY_SECONDS, which queues a recompute for every doctor with someone in the
 * room, called or waiting today, so ETAs drift while a consultation overruns with no queue change.
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import type { DomainEvent, QueueChangeData } from "@clinic/shared";
import type { ModuleContext } from "../../platform/module";
import type { Subscriber } from "../../platform/outbox";
import { snapshotOf } from "../booking";
import type { JobDefinition } from "../../platform/queues";
import { recomputeEta } from "./eta.service";
import { ETA_RECOMPUTE_JOB, queueEtaRecompute, type EtaRecomputeData } from "./eta.trigger";

export const ETA_SWEEP_JOB = "eta-sweep";

/** What a committed booking change tells the ETAs: the doctors and clinics whose day it touched. */
interface BookingTouch {
  slots: { doctorId: string; clinicId: string; start: string }[];
  appointments: { doctorId: string; clinicId: string; start: string }[];
}

/**
 * After a booking, cancellation, check-in or status change, or a slot blocked or freed, near today:
 * that doctor's ETAs are recomputed. "Near" is a cheap window (12 h back, 36 h ahead)
 * that covers every clinic's today; a recompute of an unaffected day changes nothing.
 */
export async function queueEtaForBookingChanges(ctx: ModuleContext, snapshot: BookingTouch): Promise<void> {
  const now = Date.now();
  const near = (start: string) => Date.parse(start) > now - 12 * 3_600_000 && Date.parse(start) < now + 36 * 3_600_000;
  const targets = [...snapshot.appointments, ...snapshot.slots]
    .filter((change) => near(change.start))
    .map(({ clinicId, doctorId }) => ({ clinicId, doctorId }));
  if (targets.length > 0) await queueEtaRecompute(ctx, targets);
}

/** Doctors with an active queue today (each clinic's own local day). */
export async function sweepEtas(ctx: ModuleContext): Promise<{ doctors: number }> {
  const targets = await (ctx.orm.em.fork() as EntityManager).execute<{ clinicId: string; doctorId: string }[]>(
    `select distinct q.clinic_id as "clinicId", q.doctor_id as "doctorId"
       from queue_entry q join clinic c on c.id = q.clinic_id
      where q.status in ('waiting', 'called', 'in_room') and q.doctor_id is not null
        and q.service_day = (now() at time zone c.time_zone)::date`,
  );
  await queueEtaRecompute(ctx, targets);
  return { doctors: targets.length };
}

/**
 * The domain events that move ETAs: queue changes (every doctor concerned) and booking changes near
 * today. The job re-reads the day, so a duplicate or a late delivery is harmless.
 */
export function etaRecomputeOnChanges(ctx: ModuleContext): Subscriber {
  return {
    name: "eta-recompute",
    wants: (name) => name.startsWith("queue.") || name.startsWith("slot.") || name.startsWith("appointment."),
    async handle(events: DomainEvent[]) {
      const queued = events.filter((event) => event.name.startsWith("queue.")).map((event) => event.data as QueueChangeData);
      const doctors = queued.flatMap(({ entry, alsoDoctorIds }) =>
        [entry.doctorId, ...alsoDoctorIds].filter((id): id is string => id !== null).map((doctorId) => ({ clinicId: entry.clinicId, doctorId })),
      );
      if (doctors.length > 0) await queueEtaRecompute(ctx, doctors);
      await queueEtaForBookingChanges(ctx, snapshotOf(events));
    },
  };
}

export function etaJobs(ctx: ModuleContext): JobDefinition<never>[] {
  const recompute: JobDefinition<EtaRecomputeData> = {
    queue: "maintenance",
    name: ETA_RECOMPUTE_JOB,
    process: (data) => recomputeEta(ctx, data),
  };
  const sweep: JobDefinition<Record<string, never>> = {
    queue: "maintenance",
    name: ETA_SWEEP_JOB,
    repeat: { everyMs: ctx.config.eta.everySeconds * 1000 },
    process: () => sweepEtas(ctx),
  };
  return [recompute, sweep] as unknown as JobDefinition<never>[];
}
