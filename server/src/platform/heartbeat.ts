import type { Redis } from "ioredis";
import type { DependencyCheck } from "@clinic/shared";
import type { JobDefinition } from "./queues";

/**
 * Workers prove they are alive by running a repeatable job; readiness reports when one last ran,
 * so operators see a stalled worker fleet (or one whose schedulers a Redis data loss took).
 */
export function heartbeatKey(prefix: string): string {
  return `${prefix}:worker:heartbeat`;
}

/** A heartbeat older than this many beats means the fleet stopped running jobs. */
const MISSED_BEATS = 3;

/** One beat: written by the repeating job, and by a worker as it starts (it runs jobs from then on). */
export async function beat(redis: Redis, prefix: string, everySeconds: number): Promise<void> {
  await redis.set(heartbeatKey(prefix), new Date().toISOString(), "EX", everySeconds * (MISSED_BEATS + 1));
}

export function workerHeartbeatJob(redis: Redis, prefix: string, everySeconds: number): JobDefinition<unknown> {
  return {
    queue: "maintenance",
    name: "worker-heartbeat",
    repeat: { everyMs: everySeconds * 1000 },
    process: () => beat(redis, prefix, everySeconds),
  };
}

export async function lastHeartbeat(redis: Redis, prefix: string): Promise<string | null> {
  return redis.get(heartbeatKey(prefix));
}

/** Readiness's `worker` check: up while the last heartbeat is at most MISSED_BEATS beats old. */
export function heartbeatCheck(beat: string | null, everySeconds: number, now = Date.now()): Omit<DependencyCheck, "latencyMs"> {
  const staleAfterSeconds = everySeconds * MISSED_BEATS;
  const ageSeconds = beat === null ? null : Math.max(0, Math.round((now - Date.parse(beat)) / 1000));
  const detail = { lastHeartbeat: beat, ageSeconds, staleAfterSeconds };
  if (ageSeconds === null) return { status: "down", error: "no worker heartbeat", detail };
  if (ageSeconds > staleAfterSeconds) return { status: "down", error: `no worker heartbeat for ${ageSeconds} s`, detail };
  return { status: "up", detail };
}
