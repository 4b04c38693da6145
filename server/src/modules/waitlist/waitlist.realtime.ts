/**
 * The only place that turns committed waitlist changes into socket events: the `waitlist.*` domain
 * events go to the patient's own `me:{userId}` room as `waitlist.offered|accepted|declined|expired`
 * with the offer; and the patient's waitlist joins the `me` snapshot. Booking's own events (the slot
 * held, the appointment) are booking's and scheduling's.
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import { isDomainEventOf, topics, type DomainEvent, type WaitlistCause, type WaitlistOfferView } from "@clinic/shared";
import type { ModuleContext } from "../../platform/module";
import { recordEvents, type Subscriber } from "../../platform/outbox";
import type { Realtime } from "../../platform/realtime";
import { asUser } from "../identity";
import { activeEntriesOfUser } from "./waitlist.store";

export interface WaitlistEvent {
  patientUserId: string;
  type: `waitlist.${WaitlistCause}`;
  offer: WaitlistOfferView;
}

/** Records the patients' waitlist news as domain events in `tx` (their sockets hear it after commit). */
export async function recordWaitlistEvents(tx: EntityManager, events: readonly WaitlistEvent[]): Promise<void> {
  await recordEvents(tx, events.map((event) => ({ name: event.type, data: { patientUserId: event.patientUserId, offer: event.offer } })));
}

export function waitlistRealtime(ctx: ModuleContext): Subscriber {
  return {
    name: "waitlist-realtime",
    wants: (name) => name.startsWith("waitlist."),
    async handle(events: DomainEvent[]) {
      const offers = events.filter((event) => isDomainEventOf(event, "waitlist"));
      await Promise.all(offers.map((event) => ctx.events.publish(topics.me(event.data.patientUserId), event.name, event.data.offer)));
    },
  };
}

/** `me` carries the user's live waitlist entries, so a reconnecting client resyncs its offers too. */
export function registerWaitlistSnapshot(realtime: Realtime, ctx: ModuleContext): void {
  realtime.extendSnapshot("me", async (principal) => {
    const user = asUser(principal);
    return { waitlist: user ? await activeEntriesOfUser(ctx.orm.em.fork() as EntityManager, user.userId) : [] };
  });
}
