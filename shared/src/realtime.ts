import { z } from "zod";

/**
 * Every pushed event has this envelope. `seq` rises by one per topic; a client that sees a gap
 * (or reconnects) re-reads the snapshot and continues from its `seq`.
 */
export const eventEnvelopeSchema = z.object({
  topic: z.string(),
  seq: z.number().int().positive(),
  type: z.string(),
  data: z.unknown(),
  at: z.iso.datetime(),
});
export type EventEnvelope<T = unknown> = Omit<z.infer<typeof eventEnvelopeSchema>, "data"> & { data: T };

export const subscribeRequestSchema = z.object({ topic: z.string().min(1).max(200) });
export type SubscribeRequest = z.infer<typeof subscribeRequestSchema>;

export type SubscribeAck =
  | { ok: true; topic: string; seq: number; snapshot: unknown }
  | { ok: false; code: string; message?: string };

export const realtimeErrorCodes = ["UNAUTHENTICATED", "FORBIDDEN", "UNKNOWN_TOPIC", "BAD_REQUEST"] as const;
export type RealtimeErrorCode = (typeof realtimeErrorCodes)[number];

/** Socket.IO event names of the contract. */
export const SOCKET_EVENTS = {
  subscribe: "subscribe",
  unsubscribe: "unsubscribe",
  event: "event",
} as const;
