/**
 * The only place that turns committed waitlist changes into socket events: each goes to the
 * patient's own `me:{userId}` room as `waitlist.offered|accepted|declined|expired` with the offer.
 * Booking's own events (the slot held, the appointment) go out through publishBookingChanges.
 */
import type { WaitlistOfferView } from "@clinic/shared";
import type { ModuleContext } from "../../platform/module";

export type WaitlistEventType = "waitlist.offered" | "waitlist.accepted" | "waitlist.declined" | "waitlist.expired";

export interface WaitlistEvent {
  patientUserId: string;
  type: WaitlistEventType;
  offer: WaitlistOfferView;
}

/** After commit. Never throws: a missed event shows as a seq gap and the client re-reads GET /waitlist. */
export async function publishWaitlistEvents(ctx: Pick<ModuleContext, "events" | "log">, events: WaitlistEvent[]): Promise<void> {
  const results = await Promise.allSettled(events.map((event) => ctx.events.publish(`me:${event.patientUserId}`, event.type, event.offer)));
  const failed = results.filter((result) => result.status === "rejected");
  if (failed.length) ctx.log.error({ err: (failed[0] as PromiseRejectedResult).reason as unknown, count: failed.length }, "waitlist events not published");
}
