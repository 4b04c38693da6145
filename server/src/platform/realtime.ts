import type { Server as HttpServer } from "node:http";
import { createAdapter } from "@socket.io/redis-adapter";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import { Server, type Socket } from "socket.io";
import {
  SOCKET_EVENTS,
  subscribeRequestSchema,
  type ClientToServerEvents,
  type InterServerEvents,
  type RealtimeErrorCode,
  type RealtimeEvent,
  type ServerToClientEvents,
  type SocketData,
  type SubscribeAck,
} from "@clinic/shared";
import { eventsChannel, topicSeqKey } from "./events";
import type { Metrics } from "./metrics";
import { createRedis, closeRedis } from "./redis";

/** Whoever a socket authenticated as; identity decides the concrete shape. */
export type Principal = SocketData["principal"];

/** The gateway's server and sockets, typed by the contract's four Socket.IO parameters (@clinic/shared). */
export type SocketServer = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
type ClientSocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

/** Turns the handshake's `auth` into a principal, or null to refuse the connection. */
export type SocketAuthenticator = (auth: Record<string, unknown>) => Promise<Principal | null>;

/** A family of topics (`slots:{doctorId}`, ...): who may subscribe and what they see first. */
export interface TopicHandler {
  /** The family's name (`slots`, `doctor`, `me` …), for other modules that add to its snapshot. */
  name: string;
  pattern: RegExp;
  authorize(principal: Principal, topic: string, match: RegExpMatchArray): Promise<boolean> | boolean;
  snapshot(principal: Principal, topic: string, match: RegExpMatchArray): Promise<unknown>;
  /**
   * The room a subscription joins, when it is not the topic itself: `me` joins `me:{userId}`. The
   * ack names the room (and its seq), and the snapshot is asked for the room. Called after authorize.
   */
  room?(principal: Principal, topic: string, match: RegExpMatchArray): string;
}

/**
 * A part of another module's topic snapshot (the queue's entries on `doctor:`, the waitlist on
 * `me`): its fields are merged into the owner's snapshot, after the owner authorized the subscriber.
 */
export type SnapshotPart = (principal: Principal, room: string, match: RegExpMatchArray) => Promise<Record<string, unknown>>;

export interface Realtime {
  io: SocketServer;
  setAuthenticator(authenticate: SocketAuthenticator): void;
  registerTopic(handler: TopicHandler): void;
  /** Adds fields to the snapshot of the topic family `name` (registered by its owner, before or after). */
  extendSnapshot(name: string, part: SnapshotPart): void;
  /** Drops this node's clients (they reconnect elsewhere and resync); lets the HTTP server drain. */
  disconnectAll(): void;
  close(): Promise<void>;
}

export function createRealtime(options: {
  httpServer: HttpServer;
  redis: Redis;
  redisUrl: string;
  prefix: string;
  log: Logger;
  metrics: Metrics;
}): Realtime {
  const { redis, prefix, log, metrics } = options;
  const io: SocketServer = new Server(options.httpServer, {
    path: "/socket.io",
    serveClient: false,
    connectionStateRecovery: undefined,
    pingInterval: 20_000,
    pingTimeout: 20_000,
  });
  const pub = createRedis(options.redisUrl, "socket-pub", { log });
  const sub = createRedis(options.redisUrl, "socket-sub", { log });
  io.adapter(createAdapter(pub, sub, { key: `${prefix}:socket.io` }));

  // Domain events travel on one channel of our own rather than through the adapter's broadcast:
  // the adapter delivers a node's own emits locally at once and others' via Redis, so a client
  // could see seq 2 (local) before seq 1 (remote). Here every node, the publisher included, emits
  // in the order Redis published them, which the script makes the order of `seq`.
  const events = createRedis(options.redisUrl, "socket-events", { log });
  events.subscribe(eventsChannel(prefix)).catch((error: unknown) => log.error({ err: error }, "events channel subscribe failed"));
  events.on("message", (_channel: string, raw: string) => {
    const envelope = JSON.parse(raw) as RealtimeEvent;
    io.local.to(envelope.topic).emit(SOCKET_EVENTS.event, envelope);
  });

  // Until identity registers an authenticator every socket is refused: never open by default.
  let authenticate: SocketAuthenticator = async () => null;
  const topics: TopicHandler[] = [];
  const parts = new Map<string, SnapshotPart[]>();

  io.use((socket, next) => {
    authenticate((socket.handshake.auth ?? {}) as Record<string, unknown>)
      .then((principal) => {
        if (!principal) return next(Object.assign(new Error("UNAUTHENTICATED"), { data: { code: "UNAUTHENTICATED" } }));
        socket.data.principal = principal;
        next();
      })
      .catch((error: unknown) => {
        log.warn({ err: error }, "socket authentication failed");
        next(Object.assign(new Error("UNAUTHENTICATED"), { data: { code: "UNAUTHENTICATED" } }));
      });
  });

  io.on("connection", (socket) => {
    metrics.socketConnections.inc();
    socket.on("disconnect", () => metrics.socketConnections.dec());
    socket.on(SOCKET_EVENTS.subscribe, async (request: unknown, ack?: (reply: SubscribeAck) => void) => {
      if (typeof ack !== "function") return;
      ack(await subscribe(socket, request));
    });
    socket.on(SOCKET_EVENTS.unsubscribe, async (request: unknown, ack?: (reply: { ok: boolean }) => void) => {
      const parsed = subscribeRequestSchema.safeParse(request);
      if (parsed.success) await socket.leave(roomOf(socket.data.principal, parsed.data.topic));
      if (typeof ack === "function") ack({ ok: parsed.success });
    });
  });

  /** The room a topic name stands for (itself unless its handler renames it, like `me`). */
  function roomOf(principal: Principal, topic: string): string {
    for (const handler of topics) {
      const match = topic.match(handler.pattern);
      if (match) return handler.room?.(principal, topic, match) ?? topic;
    }
    return topic;
  }

  const refuse = (code: RealtimeErrorCode, message: string): SubscribeAck => ({ ok: false, code, message });

  async function subscribe(socket: ClientSocket, request: unknown): Promise<SubscribeAck> {
    const parsed = subscribeRequestSchema.safeParse(request);
    if (!parsed.success) return refuse("BAD_REQUEST", "expected { topic: string }");
    const { topic } = parsed.data;
    const principal = socket.data.principal;
    for (const handler of topics) {
      const match = topic.match(handler.pattern);
      if (!match) continue;
      let room: string | undefined;
      try {
        if (!(await handler.authorize(principal, topic, match))) return refuse("FORBIDDEN", `not allowed: ${topic}`);
        const joined = handler.room?.(principal, topic, match) ?? topic;
        room = joined;
        // Join first, then read seq, then the snapshot: an event committed meanwhile is either in
        // the snapshot or delivered after it, never lost (clients ignore seq <= the ack's seq).
        await socket.join(room);
        const seq = Number((await redis.get(topicSeqKey(prefix, room))) ?? 0);
        const owned = (await handler.snapshot(principal, joined, match)) as Record<string, unknown>;
        const added = await Promise.all((parts.get(handler.name) ?? []).map((part) => part(principal, joined, match)));
        return { ok: true, topic: joined, seq, snapshot: Object.assign({}, owned, ...added) };
      } catch (error) {
        log.error({ err: error, topic }, "subscribe failed");
        if (room) await socket.leave(room);
        return refuse("BAD_REQUEST", "could not subscribe");
      }
    }
    return refuse("UNKNOWN_TOPIC", `no such topic: ${topic}`);
  }

  return {
    io,
    setAuthenticator(next) {
      authenticate = next;
    },
    registerTopic(handler) {
      topics.push(handler);
    },
    extendSnapshot(name, part) {
      parts.set(name, [...(parts.get(name) ?? []), part]);
    },
    disconnectAll() {
      io.local.disconnectSockets(true);
    },
    async close() {
      io.local.disconnectSockets(true);
      // The HTTP server is Fastify's to close; io.close() only reports it as already closed.
      await new Promise<void>((resolve) => io.close(() => resolve()));
      await Promise.all([closeRedis(pub), closeRedis(sub), closeRedis(events)]);
    },
  };
}
