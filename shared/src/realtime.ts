import { z } from "zod";
import { analyticsChangedSchema } from "./analytics-api";
import { appointmentCauses, blockCauses, familiesOf, family, queueCauses, slotCauses, waitlistCauses, type EventFamily } from "./domain-events";
import { inboxItemSchema } from "./notifications-api";
import { displayCalledSchema, displaySnapshotSchema, queueEntryViewSchema } from "./queue-api";
import { displayEtaUpdatedSchema, etaChangedSchema, etaMovedSchema, etaUpdatedSchema } from "./queue-eta-api";
import { appointmentChangeSchema, blockChangeSchema, notificationReadEventSchema, slotChangeSchema, slotsAnnotatedSchema } from "./realtime-events";
import { waitlistOfferViewSchema } from "./waitlist-api";

/**
 * Every pushed event has this envelope. `seq` rises by one per topic within an `epoch`; a client
 * that sees a gap, a new epoch, or reconnects re-reads the snapshot and continues from its `seq`
 * (docs/realtime.md "Client algorithm"; `TopicCursor` implements it).
 */
export const eventEnvelopeSchema = z.object({
  topic: z.string(),
  /**
   * Names the run of the topic's counter: a new value whenever Redis lost it (a restart without
   * persistence, a failover, FLUSHALL, eviction), when `seq` starts again from 1. Seqs of two
   * epochs cannot be compared.
   */
  epoch: z.string().min(1),
  seq: z.number().int().positive(),
  type: z.string(),
  data: z.unknown(),
  at: z.iso.datetime(),
});
export type EventEnvelope<T = unknown> = Omit<z.infer<typeof eventEnvelopeSchema>, "data"> & { data: T };

export const subscribeRequestSchema = z.object({ topic: z.string().min(1).max(200) });
export type SubscribeRequest = z.infer<typeof subscribeRequestSchema>;

/** `seq` is the topic's last published seq in `epoch` (0 before its first event): the snapshot includes everything up to it. */
export type SubscribeAck =
  | { ok: true; topic: string; epoch: string; seq: number; snapshot: unknown }
  | { ok: false; code: string; message?: string };

/** `UNAVAILABLE`: the node could not reach Redis or PostgreSQL just then; subscribe again after `SUBSCRIBE_RETRY_MS`. */
export const realtimeErrorCodes = ["UNAUTHENTICATED", "FORBIDDEN", "UNKNOWN_TOPIC", "BAD_REQUEST", "UNAVAILABLE"] as const;
/** How long a client waits before subscribing again after an `UNAVAILABLE` refusal. */
export const SUBSCRIBE_RETRY_MS = 1_000;
export type RealtimeErrorCode = (typeof realtimeErrorCodes)[number];

/** Socket.IO event names of the contract. */
export const SOCKET_EVENTS = {
  subscribe: "subscribe",
  unsubscribe: "unsubscribe",
  event: "event",
} as const;

// ---------------------------------------------------------------- topics

/** Topic names (docs/realtime.md "Topics"): server and web build them here, never by hand. */
export const topics = {
  /** A doctor's bookable slots and blocks (regular kind only): anyone allowed to book. */
  slots: (doctorId: string) => `slots:${doctorId}` as const,
  /** A doctor's day: every slot kind, appointments, the queue, ETAs. */
  doctor: (doctorId: string) => `doctor:${doctorId}` as const,
  /** A clinic's day for its staff. */
  clinic: (clinicId: string) => `clinic:${clinicId}` as const,
  /** A user's own room; their client subscribes to `MY_TOPIC` and the ack names this room. */
  me: (userId: string) => `me:${userId}` as const,
  /** The anonymised waiting-room feed. */
  display: (clinicId: string) => `display:${clinicId}` as const,
  /** A clinic's analytics changed (which local days): those who may read them. */
  analytics: (clinicId: string) => `analytics:${clinicId}` as const,
};
/** A topic the server publishes to. */
export type Topic = ReturnType<(typeof topics)[keyof typeof topics]>;
/** What a signed-in client subscribes to for its own room (`topics.me(userId)`, named in the ack). */
export const MY_TOPIC = "me";

// ---------------------------------------------------------------- events

/**
 * Every socket event's name and the schema of its `data`: the server publishes only these
 * (`EventPublisher.publish`), and clients parse `data` with them. Families share one schema; the
 * part after the dot is the cause.
 */
export const realtimeEventSchemas = {
  ...family("slot", slotCauses, slotChangeSchema),
  // Staff topics only: a rule edit's new note or tags on the free slots it keeps.
  "slots.annotated": slotsAnnotatedSchema,
  ...family("elastic", blockCauses, blockChangeSchema),
  ...family("appointment", appointmentCauses, appointmentChangeSchema),
  // Staff topics only: the entry as staff see it.
  ...family("queue", queueCauses, queueEntryViewSchema),
  // The patient's `me`: the offer.
  ...family("waitlist", waitlistCauses, waitlistOfferViewSchema),
  "display.called": displayCalledSchema,
  "display.updated": displaySnapshotSchema,
  "notification.created": inboxItemSchema,
  "notification.read": notificationReadEventSchema,
  // Staff topics get the doctor's whole estimate, `display:` tickets and times only (tried in this order).
  "eta.updated": z.union([etaUpdatedSchema, displayEtaUpdatedSchema]),
  "eta.changed": etaChangedSchema,
  "eta.moved": etaMovedSchema,
  "analytics.changed": analyticsChangedSchema,
};
export type RealtimeEventName = keyof typeof realtimeEventSchemas;
export type RealtimeEventData<K extends RealtimeEventName> = z.infer<(typeof realtimeEventSchemas)[K]>;
/** One family's names: `RealtimeFamilyName<"slot">` is `slot.held | slot.booked | …`. */
export type RealtimeFamilyName<F extends EventFamily<RealtimeEventName>> = Extract<RealtimeEventName, `${F}.${string}`>;

/** One event as the server sends it: a name of the map with its payload. */
export type RealtimeEvent<K extends RealtimeEventName = RealtimeEventName> = { [N in K]: EventEnvelope<RealtimeEventData<N>> & { type: N } }[K];
/** One event as a client received it: a name of the map, its `data` not parsed yet (`eventData` parses it). */
export type ReceivedEvent<K extends RealtimeEventName = RealtimeEventName> = { [N in K]: EventEnvelope & { type: N } }[K];

export const isRealtimeEventName = (name: string): name is RealtimeEventName => Object.hasOwn(realtimeEventSchemas, name);

/** Whether an envelope carries a name of the map (a newer server may send one this build does not know). */
export const isReceivedEvent = (envelope: EventEnvelope): envelope is ReceivedEvent => isRealtimeEventName(envelope.type);

const realtimeFamilies = familiesOf(Object.keys(realtimeEventSchemas));

/** Whether an event is one of a family's (`slot` → `slot.*`), by the map's names. */
export function isEventOf<F extends EventFamily<RealtimeEventName>, E extends ReceivedEvent>(event: E, family: F): event is Extract<E, { type: RealtimeFamilyName<F> }> {
  return realtimeFamilies.get(family)?.has(event.type) ?? false;
}

/** The event's `data` parsed by its name's schema, or null when it does not match. */
export function eventData<K extends RealtimeEventName>(event: { type: K; data: unknown }): RealtimeEventData<K> | null {
  const parsed = (realtimeEventSchemas[event.type] as z.ZodType).safeParse(event.data);
  return parsed.success ? (parsed.data as RealtimeEventData<K>) : null;
}

// ---------------------------------------------------------------- Socket.IO's type parameters

/** What the server emits: every event in its envelope. */
export interface ServerToClientEvents {
  [SOCKET_EVENTS.event]: (envelope: RealtimeEvent) => void;
}

/** What a client emits. The server still parses each request (`subscribeRequestSchema`): a client may send anything. */
export interface ClientToServerEvents {
  [SOCKET_EVENTS.subscribe]: (request: SubscribeRequest, ack: (reply: SubscribeAck) => void) => void;
  [SOCKET_EVENTS.unsubscribe]: (request: SubscribeRequest, ack?: (reply: { ok: boolean }) => void) => void;
}

/** Nodes talk through the Redis adapter's own messages and the events channel, not `serverSideEmit`. */
export type InterServerEvents = Record<string, never>;

/** What the gateway keeps on a socket: who it authenticated as (identity decides the concrete shape). */
export interface SocketData {
  principal: { kind: string; id: string; [key: string]: unknown };
}
