/**
 * What follows a committed booking change besides its live events: the background work it causes
 * (reminders, waitlist offers, loyalty) is queued here, after commit, from every writer. Each step
 * is best-effort and its job re-checks the database when it runs, so a lost step is a missed
 * nicety, never a wrong booking.
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import type { ModuleContext } from "../../platform/module";
import type { Changes, Snapshot } from "./appointment.store";
import { publishBookingChanges } from "./booking.realtime";
import { queueLifecycleConsequences } from "./lifecycle-after-commit";
import { planAppointmentReminders } from "./reminders";

export async function afterBookingCommit(ctx: ModuleContext, snapshot: Snapshot): Promise<void> {
  await publishBookingChanges(ctx.events, snapshot, { log: ctx.log });
  await planAppointmentReminders(ctx, snapshot).catch((error: unknown) => ctx.log.warn({ err: error }, "planning reminders failed"));
  await queueLifecycleConsequences(ctx, snapshot);
}

/** For writers outside the booking service: reads the changed rows as committed, then as above. */
export async function publishCommitted(ctx: ModuleContext, changes: Changes): Promise<void> {
  await afterBookingCommit(ctx, await changes.snapshot(ctx.orm.em.fork() as EntityManager));
}
