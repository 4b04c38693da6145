import { z } from "zod";
import { inboxItemSchema } from "./notifications-api";
import { queueEntryViewSchema } from "./queue-api";
import { displayEtaUpdatedSchema, etaChangedSchema, etaMovedSchema, etaUpdatedSchema } from "./queue-eta-api";
import { appointmentChangeSchema, blockChangeSchema, slotChangeSchema, slotsAnnotatedSchema } from "./realtime-events";
import { waitlistOfferViewSchema } from "./waitlist-api";

/**
 * Domain events (docs/architecture.md): what a committed write changed, named `noun.verb`. A writer
 * records them in the outbox in its own transaction; after commit each module's subscribers get them
 * (realtime fan-out, reminders, waitlist, loyalty, alerts, ETAs, payments), retried until handled.
 * One payload schema per noun; the verb is the cause.
 */

/** Why a slot changed (`slot.{cause}`). */
export const slotCauses = ["held", "booked", "released", "rescheduled", "expired", "blocked", "created", "updated", "removed", "deleted"] as const;
/** Why an elastic block's fill changed (`elastic.{cause}`). */
export const blockCauses = ["held", "booked", "released", "rescheduled", "expired", "changed"] as const;
/** Why an appointment changed (`appointment.{cause}`). */
export const appointmentCauses = [
  "created", "confirmed", "cancelled", "rescheduled", "expired", "status_changed", "checked_in", "retimed", "handed_over", "probable_no_show",
] as const;
/** Why a queue entry changed (`queue.{cause}`). */
export const queueCauses = ["checked_in", "walked_in", "called", "started", "finished", "sent_back", "no_show", "left", "reordered", "reassigned"] as const;
/** What happened to a waitlist offer (`waitlist.{cause}`). */
export const waitlistCauses = ["offered", "accepted", "declined", "expired"] as const;

export type SlotCause = (typeof slotCauses)[number];
export type BlockCause = (typeof blockCauses)[number];
export type AppointmentCause = (typeof appointmentCauses)[number];
export type QueueCause = (typeof queueCauses)[number];
export type WaitlistCause = (typeof waitlistCauses)[number];

/** A queue entry after a committed change; `alsoDoctorIds`: other doctors concerned (a handover's previous doctor). */
export const queueChangeSchema = z.object({ entry: queueEntryViewSchema, alsoDoctorIds: z.array(z.uuid()) });
export type QueueChangeData = z.infer<typeof queueChangeSchema>;

/** A waitlist offer's news for its patient. */
export const waitlistChangeSchema = z.object({ patientUserId: z.uuid(), offer: waitlistOfferViewSchema });

/** Appointments a doctor's leave or a clinic closure cancelled, for the patients' messages (alerts). */
export const leaveCancellationSchema = z.object({
  kind: z.string(),
  reason: z.string(),
  appointments: z.array(z.object({ appointmentId: z.uuid(), slotId: z.uuid(), patientUserId: z.uuid(), startsAt: z.iso.datetime() })),
});
export type LeaveCancellation = z.infer<typeof leaveCancellationSchema>;

/**
 * An availability rule's note or tags changed (an edit of nothing its slots are made of): scheduling
 * writes the rule's note and tags onto its future free slots after commit, then records `slots.annotated`.
 */
export const ruleAnnotatedSchema = z.object({ ruleId: z.uuid() });

/** Bookings an elastic block's change moved (booking announces their new times). */
export const appointmentsRetimedSchema = z.object({ blockId: z.uuid(), appointmentIds: z.array(z.uuid()) });

/** An in-app notification written or read: the inbox's live side. */
export const notificationCreatedSchema = z.object({ userId: z.uuid(), item: inboxItemSchema });
export const notificationReadSchema = z.object({ userId: z.uuid(), ids: z.union([z.array(z.uuid()), z.literal("all")]), unread: z.number().int() });

/** A doctor's ETAs recomputed at a clinic: what the staff topics, (anonymised) the display and each moved patient are told. */
export const etaRecomputedSchema = z.object({
  staff: etaUpdatedSchema,
  display: displayEtaUpdatedSchema,
  /** Each patient whose stored estimate changed (their `me` hears `eta.moved`). */
  patients: z.array(etaMovedSchema.extend({ patientUserId: z.uuid() })).default([]),
});
/** A patient told that their expected start moved (a slip or a gain). */
export const etaNoticeSchema = z.object({ patientUserId: z.uuid(), change: etaChangedSchema });

/** Why sessions were revoked (stored as `auth_session.revoked_reason`). */
export const sessionRevocationReasons = [
  "logout", "logout_all", "revoked", "password_reset", "password_change", "refresh_token_reuse", "account_deactivated",
] as const;
export type SessionRevocationReason = (typeof sessionRevocationReasons)[number];
/** Sessions of one user that a committed write ended: their sockets are closed on every node. */
export const sessionsRevokedSchema = z.object({ userId: z.uuid(), sessionIds: z.array(z.uuid()).min(1), reason: z.enum(sessionRevocationReasons) });

type Family<Noun extends string, Causes extends readonly string[], Schema> = { [C in Causes[number] as `${Noun}.${C}`]: Schema };
/** One schema under `noun.cause` for each cause (the domain events here, the socket events in realtime.ts). */
export function family<const Noun extends string, const Causes extends readonly string[], Schema>(noun: Noun, causes: Causes, schema: Schema): Family<Noun, Causes, Schema> {
  return Object.fromEntries(causes.map((cause) => [`${noun}.${cause}`, schema])) as Family<Noun, Causes, Schema>;
}

/** Every domain event's name and payload schema. */
export const domainEventSchemas = {
  ...family("slot", slotCauses, slotChangeSchema),
  "slots.annotated": slotsAnnotatedSchema,
  "rule.annotated": ruleAnnotatedSchema,
  ...family("elastic", blockCauses, blockChangeSchema),
  ...family("appointment", appointmentCauses, appointmentChangeSchema),
  ...family("queue", queueCauses, queueChangeSchema),
  ...family("waitlist", waitlistCauses, waitlistChangeSchema),
  "leave.appointments_cancelled": leaveCancellationSchema,
  "block.bookings_retimed": appointmentsRetimedSchema,
  "notification.created": notificationCreatedSchema,
  "notification.read": notificationReadSchema,
  "eta.updated": etaRecomputedSchema,
  "eta.changed": etaNoticeSchema,
  "session.revoked": sessionsRevokedSchema,
};

export type DomainEventName = keyof typeof domainEventSchemas;
export type DomainEventData<N extends DomainEventName> = z.infer<(typeof domainEventSchemas)[N]>;
/** A domain event as a subscriber receives it. */
export type DomainEvent<N extends DomainEventName = DomainEventName> = {
  [K in N]: { id: string; name: K; data: DomainEventData<K>; occurredAt: string };
}[N];
/** What a writer records: the name and its payload. */
export type NewDomainEvent<N extends DomainEventName = DomainEventName> = { [K in N]: { name: K; data: DomainEventData<K> } }[N];

export const isDomainEventName = (name: string): name is DomainEventName => Object.hasOwn(domainEventSchemas, name);

/** The part of an event name before the dot: `slot` of `slot.held`. */
export type EventFamily<Name extends string> = Name extends `${infer Noun}.${string}` ? Noun : never;

/** Names by family, so code that treats a family alike checks a name against the map's names. */
export function familiesOf(names: readonly string[]): ReadonlyMap<string, ReadonlySet<string>> {
  const families = new Map<string, Set<string>>();
  for (const name of names) {
    const noun = name.slice(0, name.indexOf("."));
    families.set(noun, (families.get(noun) ?? new Set()).add(name));
  }
  return families;
}

const domainFamilies = familiesOf(Object.keys(domainEventSchemas));

/** Whether a domain event is one of a family's (`slot` → `slot.*`), narrowing its name and payload. */
export function isDomainEventOf<F extends EventFamily<DomainEventName>>(event: DomainEvent, family: F): event is DomainEvent<Extract<DomainEventName, `${F}.${string}`>> {
  return domainFamilies.get(family)?.has(event.name) ?? false;
}
