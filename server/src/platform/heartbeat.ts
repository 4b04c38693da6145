import type { Redis } from "ioredis";
import type { JobDefinition } from "./queues";

/**
 * Workers prove they are alive by running a repeatable job; readiness reports when one last ran,
 * so operators see a stalled worker fleet even though the API itself stays ready without it.
 */
export function heartbeatKey(prefix: string): string {
  return `${prefix}:worker:heartbeat`;
}

export function workerHeartbeatJob(redis: Redis, prefix: string, everySeconds: number): JobDefinition<unknown> {
  return {
    queue: "maintenance",
    name: "worker-heartbeat",
    repeat: { everyMs: everySeconds * 1000 },
    async process() {
      await redis.set(heartbeatKey(prefix), new Date().toISOString(), "EX", everySeconds * 4);
    },
  };
}

export async function lastHeartbeat(redis: Redis, prefix: string): Promise<string | null> {
  return redis.get(heartbeatKey(prefix));
}
