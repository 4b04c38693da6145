/**
 * What follows a committed booking change besides its live events: the background work it causes
 * (reminders, waitlist offers, loyalty) is queued here, after commit, from every writer. Each step
 * is best-effort and its job re-checks the database when it runs, so a lost step is a missed
 * nicety, never a wrong booking.
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import type { ModuleContext } from "../../platform/module";
import { expireEndedCheckouts } from "../payments/checkout";
import { refundCancelledByPolicy } from "../payments/refunds";
import { queueEtaForBookingChanges } from "../queue/eta.jobs";
import type { Changes, Snapshot } from "./appointment.store";
import { publishBookingChanges } from "./booking.realtime";
import { queueCancellationAlerts } from "../alerts/cancellation-alerts";
import { queueLoyaltyAwards } from "../loyalty/loyalty.service";
import { planAppointmentReminders } from "../reminders/reminders.service";
import { queueWaitlistMatches } from "../waitlist/waitlist.jobs";

export const HOLD_EXPIRY_JOB = "hold-expiry";

export async function afterBookingCommit(ctx: ModuleContext, snapshot: Snapshot): Promise<void> {
  await publishBookingChanges(ctx.events, snapshot, { log: ctx.log });
  await step(ctx, "reminder planning", () => planAppointmentReminders(ctx, snapshot));
  await step(ctx, "waitlist matches", () => queueWaitlistMatches(ctx, snapshot));
  await step(ctx, "loyalty awards", () => queueLoyaltyAwards(ctx, snapshot));
  await step(ctx, "cancellation alerts", () => queueCancellationAlerts(ctx, snapshot));
  await step(ctx, "ETA recompute", () => queueEtaForBookingChanges(ctx, snapshot));
  await step(ctx, "checkout expiry", () => expireEndedCheckouts(ctx, snapshot));
  await step(ctx, "refund policy", () => refundCancelledByPolicy(ctx, snapshot));
}

/** One consequence: a failure is logged, never thrown (the change is committed already). */
async function step(ctx: ModuleContext, what: string, work: () => Promise<unknown>): Promise<void> {
  try {
    await work();
  } catch (error) {
    ctx.log.warn({ err: error }, `after-commit ${what} failed`);
  }
}

/** For writers outside the booking service: reads the changed rows as committed, then as above. */
export async function publishCommitted(ctx: ModuleContext, changes: Changes): Promise<void> {
  await afterBookingCommit(ctx, await changes.snapshot(ctx.orm.em.fork() as EntityManager));
}

/** The hold-expiry job of a pending appointment (jobId `hold-{appointmentId}`, so scheduling twice is a no-op). */
export async function scheduleHoldExpiry(ctx: Pick<ModuleContext, "queues" | "log">, appointmentId: string, holdExpiresAt: Date): Promise<void> {
  try {
    await ctx.queues
      .get("booking")
      .add(HOLD_EXPIRY_JOB, { appointmentId }, { jobId: `hold-${appointmentId}`, delay: Math.max(0, holdExpiresAt.getTime() - Date.now()) });
  } catch (error) {
    // Lapsed holds read as available anyway; the job only tidies up.
    ctx.log.warn({ err: error, appointmentId }, "scheduling hold expiry failed");
  }
}
