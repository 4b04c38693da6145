import { randomBytes } from "node:crypto";
import type { Redis } from "ioredis";
import type { RealtimeEvent, RealtimeEventData, RealtimeEventName, Topic } from "@clinic/shared";
import type { Metrics } from "./metrics";

/**
 * A topic's counter lives in Redis, so every node continues the same count: a hash of `seq` (the
 * last published) and `epoch` (which run of the counter this is). Both go with the key, so a Redis
 * that lost it (restart without persistence, failover, FLUSHALL, eviction) starts a new epoch.
 */
export function topicStateKey(prefix: string, topic: string): string {
  return `${prefix}:topic:${topic}`;
}

/** The one channel every api node listens on and re-emits to its own sockets (see realtime.ts). */
export function eventsChannel(prefix: string): string {
  return `${prefix}:events`;
}

/** Rooms whose sockets every api node must close (a revoked session's), on the events connection too. */
export function disconnectChannel(prefix: string): string {
  return `${prefix}:socket-disconnect`;
}

/** A fresh epoch for a counter that was missing; random, so a recreated counter never repeats one. */
const newEpoch = () => randomBytes(6).toString("base64url");

/**
 * Numbers and publishes an event in one atomic step, so the channel carries each topic's events in
 * `seq` order. A missing counter gets the new epoch ARGV[5]. `data` arrives as JSON and is spliced
 * in untouched (cjson would mangle empty arrays).
 */
const PUBLISH_SCRIPT = `
redis.call('HSETNX', KEYS[1], 'epoch', ARGV[5])
local seq = redis.call('HINCRBY', KEYS[1], 'seq', 1)
local epoch = redis.call('HGET', KEYS[1], 'epoch')
local envelope = '{"topic":' .. cjson.encode(ARGV[1]) .. ',"epoch":' .. cjson.encode(epoch) .. ',"seq":' .. seq
  .. ',"type":' .. cjson.encode(ARGV[2]) .. ',"data":' .. ARGV[3] .. ',"at":' .. cjson.encode(ARGV[4]) .. '}'
redis.call('PUBLISH', KEYS[2], envelope)
return envelope
`;

/** Where a topic's counter stands, creating it (seq 0, the new epoch ARGV[1]) when missing. */
const POSITION_SCRIPT = `
redis.call('HSETNX', KEYS[1], 'epoch', ARGV[1])
return redis.call('HMGET', KEYS[1], 'epoch', 'seq')
`;

/** The epoch and last seq of a topic (the subscribe ack's), as one atomic read. */
export async function topicPosition(redis: Redis, prefix: string, topic: string): Promise<{ epoch: string; seq: number }> {
  const [epoch, seq] = (await redis.eval(POSITION_SCRIPT, 1, topicStateKey(prefix, topic), newEpoch())) as [string, string | null];
  return { epoch, seq: Number(seq ?? 0) };
}

export interface EventPublisher {
  /**
   * Call only after the transaction that caused the event has committed (a module's `*.realtime.ts`
   * subscriber does). Names and payloads come from the shared map, topics from `topics`. Works in every role.
   */
  publish<K extends RealtimeEventName>(topic: Topic, type: K, data: RealtimeEventData<K>): Promise<RealtimeEvent<K>>;
  /** Publishes `messages` in order, in one round trip to Redis (one pipeline); as `publish`, only after commit. */
  publishAll(messages: readonly RealtimeMessage[]): Promise<void>;
  /**
   * Closes every socket in `rooms` on every api node (server-side: the client does not reconnect by
   * itself), after the revoking transaction committed. Works in every role; rejects when Redis does.
   */
  disconnect(rooms: string[]): Promise<void>;
}

/** One socket event a realtime subscriber means to publish, its payload typed by its name. */
export type RealtimeMessage = { [K in RealtimeEventName]: { topic: Topic; type: K; data: RealtimeEventData<K> } }[RealtimeEventName];

/** The publish script as a command of `redis` (EVALSHA; ioredis sends the script again after a NOSCRIPT). */
type WithPublish = Redis & { clinicPublish(...args: string[]): Promise<string> };
type PipelineWithPublish = ReturnType<Redis["pipeline"]> & { clinicPublish(...args: string[]): unknown };

const topicKind = (topic: string) => topic.split(":")[0] ?? topic;

export function createEventPublisher(redis: Redis, prefix: string, metrics: Metrics): EventPublisher {
  const scripted = redis as WithPublish;
  const publishArguments = (topic: string, type: string, data: unknown) => [
    topicStateKey(prefix, topic),
    eventsChannel(prefix),
    topic,
    type,
    JSON.stringify(data ?? null),
    new Date().toISOString(),
    newEpoch(),
  ];
  if (typeof scripted.clinicPublish !== "function") redis.defineCommand("clinicPublish", { numberOfKeys: 2, lua: PUBLISH_SCRIPT });
  return {
    async publish(topic, type, data) {
      const raw = await scripted.clinicPublish(...publishArguments(topic, type, data));
      metrics.socketEvents.inc({ topic_kind: topicKind(topic) });
      return JSON.parse(raw) as RealtimeEvent<typeof type>;
    },
    async publishAll(messages) {
      if (messages.length === 0) return;
      const pipeline = redis.pipeline() as PipelineWithPublish;
      for (const { topic, type, data } of messages) pipeline.clinicPublish(...publishArguments(topic, type, data));
      const results = (await pipeline.exec()) ?? [];
      const failed = results.find(([error]) => error);
      if (failed) throw failed[0]!;
      for (const { topic } of messages) metrics.socketEvents.inc({ topic_kind: topicKind(topic) });
    },
    async disconnect(rooms) {
      if (rooms.length > 0) await redis.publish(disconnectChannel(prefix), JSON.stringify(rooms));
    },
  };
}
