import type { Redis } from "ioredis";
import type { RealtimeEvent, RealtimeEventData, RealtimeEventName, Topic } from "@clinic/shared";
import type { Metrics } from "./metrics";

/** Sequence numbers live in Redis so every node continues the same per-topic count. */
export function topicSeqKey(prefix: string, topic: string): string {
  return `${prefix}:seq:${topic}`;
}

/** The one channel every api node listens on and re-emits to its own sockets (see realtime.ts). */
export function eventsChannel(prefix: string): string {
  return `${prefix}:events`;
}

/**
 * Numbers and publishes an event in one atomic step, so the channel carries each topic's events in
 * `seq` order. `data` arrives as JSON and is spliced in untouched (cjson would mangle empty arrays).
 */
const PUBLISH_SCRIPT = `
local seq = redis.call('INCR', KEYS[1])
local envelope = '{"topic":' .. cjson.encode(ARGV[1]) .. ',"seq":' .. seq .. ',"type":' .. cjson.encode(ARGV[2])
  .. ',"data":' .. ARGV[3] .. ',"at":' .. cjson.encode(ARGV[4]) .. '}'
redis.call('PUBLISH', KEYS[2], envelope)
return envelope
`;

export interface EventPublisher {
  /**
   * Call only after the transaction that caused the event has committed (a module's `*.realtime.ts`
   * subscriber does). Names and payloads come from the shared map, topics from `topics`. Works in every role.
   */
  publish<K extends RealtimeEventName>(topic: Topic, type: K, data: RealtimeEventData<K>): Promise<RealtimeEvent<K>>;
}

/** One socket event a realtime subscriber means to publish, its payload typed by its name. */
export type RealtimeMessage = { [K in RealtimeEventName]: { topic: Topic; type: K; data: RealtimeEventData<K> } }[RealtimeEventName];

export function createEventPublisher(redis: Redis, prefix: string, metrics: Metrics): EventPublisher {
  return {
    async publish(topic, type, data) {
      const raw = (await redis.eval(
        PUBLISH_SCRIPT,
        2,
        topicSeqKey(prefix, topic),
        eventsChannel(prefix),
        topic,
        type,
        JSON.stringify(data ?? null),
        new Date().toISOString(),
      )) as string;
      metrics.socketEvents.inc({ topic_kind: topic.split(":")[0] ?? topic });
      return JSON.parse(raw) as RealtimeEvent<typeof type>;
    },
  };
}
