/**
 * `analytics:{clinicId}` (docs/analytics.md "Live"): an open dashboard hears which of the clinic's
 * local days a committed booking, cancellation, status change or queue action touched, and reads
 * those figures again. Who may subscribe: whoever may read the clinic's analytics, and the doctors
 * working there (for their own).
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import { isDomainEventOf, localDateOf, topics, type DomainEvent } from "@clinic/shared";
import type { ModuleContext } from "../../platform/module";
import type { Subscriber } from "../../platform/outbox";
import type { Realtime } from "../../platform/realtime";
import { asUser, can } from "../identity";

const UUID = "([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})";

export function registerAnalyticsTopic(realtime: Realtime): void {
  realtime.registerTopic({
    name: "analytics",
    pattern: new RegExp(`^${topics.analytics(UUID)}$`),
    authorize(principal, _topic, match) {
      const user = asUser(principal);
      if (!user) return false;
      const clinicId = match[1]!;
      // A doctor working there hears which days changed too: their own dashboard re-reads its figures (the event names days only).
      return can(user, "clinic.analytics.read", { clinicId }) || (user.doctorId !== null && can(user, "clinic.analytics.read", { clinicId, doctorId: user.doctorId }));
    },
    snapshot: async (_principal, _topic, match) => ({ clinicId: match[1]!, asOf: new Date().toISOString() }),
  });
}

/** One `analytics.changed` per clinic and batch, naming the local days the batch's appointment and queue changes fall on. */
export function analyticsRealtime(ctx: ModuleContext): Subscriber {
  return {
    name: "analytics-realtime",
    wants: (name) => name.startsWith("appointment.") || name.startsWith("queue."),
    async handle(events: DomainEvent[]) {
      const starts = new Map<string, string[]>();
      const days = new Map<string, Set<string>>();
      const dayOf = (clinicId: string) => days.get(clinicId) ?? days.set(clinicId, new Set()).get(clinicId)!;
      for (const event of events) {
        if (isDomainEventOf(event, "appointment")) starts.set(event.data.clinicId, [...(starts.get(event.data.clinicId) ?? []), event.data.start]);
        if (isDomainEventOf(event, "queue")) dayOf(event.data.entry.clinicId).add(event.data.entry.serviceDay);
      }
      if (starts.size > 0) {
        // An appointment's day is its start's in its clinic's zone.
        const zones = await (ctx.orm.em.fork() as EntityManager).execute<{ id: string; time_zone: string }[]>(
          `select id, time_zone from clinic where id = any(?::uuid[])`,
          [`{${[...starts.keys()].join(",")}}`],
        );
        for (const { id, time_zone } of zones) for (const start of starts.get(id)!) dayOf(id).add(localDateOf(new Date(start), time_zone));
      }
      await ctx.events.publishAll(
        [...days].map(([clinicId, set]) => ({ topic: topics.analytics(clinicId), type: "analytics.changed" as const, data: { clinicId, days: [...set].sort() } })),
      );
    },
  };
}
