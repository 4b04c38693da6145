import type { Redis } from "ioredis";
import type { Logger } from "pino";
import type { Config } from "../config";
import type { AttemptLimiter } from "./attempts";
import type { Orm } from "./db";
import type { EventPublisher } from "./events";
import type { Queues } from "./queues";

/** What a module's routes, jobs and topics are built from. */
export interface ModuleContext {
  config: Config;
  log: Logger;
  orm: Orm;
  redis: Redis;
  attempts: AttemptLimiter;
  /** Real-time events, published after commit. */
  events: EventPublisher;
  queues: Queues;
}
