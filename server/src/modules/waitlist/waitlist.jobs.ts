/**
 * The waitlist's jobs: `waitlist-match` (queue "booking", data {slotId}, jobId
 * `waitlist-{slotId}-{version}`) offers a slot that became free to the first matching waiting
 * patient. Queued by a subscriber to the slot and appointment domain events, whoever wrote them
 * (booking's changes, scheduling's new or reopened slots). The processor re-reads everything, so a
 * duplicate, a retry or a slot taken meanwhile is a no-op.
 * `waitlist-offer-sweep` (queue "maintenance", every LIFECYCLE_EVERY_SECONDS and at each worker's
 * start) closes offers whose hold ended, so an offer expires even when no match job runs after it.
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import type { DomainEvent } from "@clinic/shared";
import type { ModuleContext } from "../../platform/module";
import type { Subscriber } from "../../platform/outbox";
import type { JobDefinition } from "../../platform/queues";
import { pgArray, snapshotOf, type Snapshot } from "../booking";
import type { SlotChange } from "../scheduling";
import { WaitlistMatcher, closeEndedOffers } from "./waitlist.match";

export const WAITLIST_MATCH_JOB = "waitlist-match";
export const OFFER_SWEEP_JOB = "waitlist-offer-sweep";

export interface WaitlistMatchData {
  slotId: string;
}

type SlotState = Pick<SlotChange, "slotId" | "doctorId" | "version">;

/**
 * Queues a match for each slot whose doctor has someone waiting (one query, so laying a month of
 * slots does not queue a month of no-op jobs).
 */
async function queueMatches(ctx: Pick<ModuleContext, "orm" | "queues">, slots: SlotState[]): Promise<void> {
  if (slots.length === 0) return;
  const doctorIds = [...new Set(slots.map((slot) => slot.doctorId))];
  const waiting = await (ctx.orm.em.fork() as EntityManager).execute<{ doctor_id: string }[]>(
    `select distinct doctor_id from waitlist_entry where doctor_id = any(?::uuid[]) and status = 'waiting'`,
    [pgArray(doctorIds)],
  );
  const wanted = new Set(waiting.map((row) => row.doctor_id));
  const jobs = slots
    .filter((slot) => wanted.has(slot.doctorId))
    .map((slot) => ({ name: WAITLIST_MATCH_JOB, data: { slotId: slot.slotId }, opts: { jobId: `waitlist-${slot.slotId}-${slot.version}` } }));
  if (jobs.length) await ctx.queues.get("booking").addBulk(jobs);
}

const isFutureRegular = (slot: SlotChange) => slot.kind === "regular" && new Date(slot.start).getTime() > Date.now();

/**
 * After a committed booking change: slots now available (cancelled, released or expired hold,
 * rescheduled away, declined offer), and slots whose hold was taken over (an expired appointment on
 * a slot that is not free: its waitlist offer, if any, is closed by the match job's sweep).
 */
export async function queueWaitlistMatches(ctx: Pick<ModuleContext, "orm" | "queues">, snapshot: Snapshot): Promise<void> {
  const endedOn = new Set(
    snapshot.appointments.filter((a) => a.slotId && (a.status === "expired" || a.status === "cancelled")).map((a) => a.slotId!),
  );
  await queueMatches(
    ctx,
    snapshot.slots.filter((slot) => isFutureRegular(slot) && (slot.status === "available" || endedOn.has(slot.slotId))),
  );
}

/** New availability from scheduling: created or reopened (time off removed) free regular slots. */
export async function queueWaitlistForNewSlots(ctx: Pick<ModuleContext, "orm" | "queues">, changes: readonly SlotChange[]): Promise<void> {
  await queueMatches(
    ctx,
    changes.filter((slot) => (slot.cause === "created" || slot.cause === "released") && slot.status === "available" && isFutureRegular(slot)),
  );
}

/** Free slots to offer: what booking changes freed, and what scheduling created or reopened. */
export function waitlistMatching(ctx: ModuleContext): Subscriber {
  return {
    name: "waitlist-matching",
    wants: (name) => name.startsWith("slot.") || name.startsWith("appointment."),
    async handle(events: DomainEvent[]) {
      const snapshot = snapshotOf(events);
      await queueWaitlistMatches(ctx, snapshot);
      await queueWaitlistForNewSlots(ctx, snapshot.slots);
    },
  };
}

export function waitlistJobs(ctx: ModuleContext): JobDefinition<never>[] {
  let matcher: WaitlistMatcher | undefined;
  const match: JobDefinition<WaitlistMatchData> = {
    queue: "booking",
    name: WAITLIST_MATCH_JOB,
    async process(data) {
      matcher ??= new WaitlistMatcher(ctx);
      return { outcome: await matcher.match(data.slotId) };
    },
  };
  const offerSweep: JobDefinition<Record<string, never>> = {
    queue: "maintenance",
    name: OFFER_SWEEP_JOB,
    repeat: { everyMs: ctx.config.booking.lifecycleEverySeconds * 1000 },
    runAtStart: true,
    async process() {
      return { closed: await (ctx.orm.em.fork() as EntityManager).transactional((tx) => closeEndedOffers(tx)) };
    },
  };
  return [match as unknown as JobDefinition<never>, offerSweep as unknown as JobDefinition<never>];
}
