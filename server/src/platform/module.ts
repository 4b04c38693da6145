/**
 * What a module is (docs/architecture.md): a descriptor the runtime loops over. The platform names
 * no module; `modules/index.ts` is the one list, and each module's `index.ts` exports its
 * descriptor and the few functions other modules may call.
 */
import type { EntitySchema } from "@mikro-orm/core";
import type { FastifyInstance, FastifyPluginAsync } from "fastify";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import type { Config } from "../config";
import type { AttemptLimiter } from "./attempts";
import type { Orm } from "./db";
import type { EventPublisher } from "./events";
import type { Outbox, Subscriber } from "./outbox";
import type { Queues, JobDefinition } from "./queues";
import type { Principal, Realtime } from "./realtime";

/**
 * What a module needs from another module it must not import (the other sits above it, or the
 * dependency would make a cycle): each module that needs one declares it here by declaration
 * merging (`declare module "../../platform/module" { interface Ports { … } }`) and the module that
 * has it provides it (`Module.provide`). Filled before any route, job or subscriber runs.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled by declaration merging
export interface Ports {}

/** What a module's routes, jobs, topics and subscribers are built from (one per runtime). */
export interface ModuleContext {
  config: Config;
  log: Logger;
  orm: Orm;
  redis: Redis;
  attempts: AttemptLimiter;
  /** Real-time events to sockets, published by a module's `*.realtime.ts` subscribers. */
  events: EventPublisher;
  queues: Queues;
  /** Domain events: recorded in the writer's transaction, handed to subscribers after commit. */
  outbox: Outbox;
  ports: Ports;
}

/** What the runtime hands a module's routes besides its context (api roles only). */
export interface HttpHost {
  realtime: Realtime;
}

/** Turns a socket handshake's `auth` into a principal; `undefined` means "not mine, ask the next". */
export type SocketPrincipalResolver = (auth: Record<string, unknown>) => Promise<Principal | null | undefined>;

export interface Module {
  name: string;
  /** The tables it owns (a function: modules that relate to each other load in either order). */
  entities?: () => EntitySchema[];
  /** Ports other modules use (called first, in every role). */
  provide?(ctx: ModuleContext): Partial<Ports>;
  /** App-wide HTTP hooks (identity's authentication), before any route. */
  http?(app: FastifyInstance, ctx: ModuleContext): void;
  /** Its routes, mounted under /api/v1. */
  routes?(ctx: ModuleContext, host: HttpHost): FastifyPluginAsync;
  /** Its background jobs (run where the role runs workers). */
  jobs?(ctx: ModuleContext): JobDefinition<never>[];
  /** The socket topics it owns (who may subscribe, their snapshots) and the guards of its sockets. */
  topics?(realtime: Realtime, ctx: ModuleContext): void;
  /** Who a socket is, for the credentials it understands. */
  socketPrincipal?(ctx: ModuleContext): SocketPrincipalResolver;
  /** What it does when other modules' domain events commit. */
  subscribers?(ctx: ModuleContext): Subscriber[];
}
