import { ServerResponse, type IncomingMessage, type Server as HttpServer } from "node:http";
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
import { disconnectChannel, eventsChannel, topicPosition } from "./events";
import type { Metrics } from "./metrics";
import { createRedis, closeRedis } from "./redis";

/** How soon a refused events-channel subscribe is tried again on the same connection. */
const SUBSCRIBE_RETRY_MS = 500;

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
  /**
   * The family's topics, in their one canonical spelling (lower-case ids, so no `i` flag): a topic
   * spelt otherwise would join a room nobody publishes to, so it is refused as `UNKNOWN_TOPIC`.
   */
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

/**
 * Keeps a kind of credential's sockets tied to it after the handshake (identity's sessions). Each
 * socket joins the guard's rooms at connect, so a revocation can close it on every node
 * (`EventPublisher.disconnect`); the credential is looked at again after those joins (a revocation
 * that committed meanwhile) and before every subscribe.
 */
export interface SocketGuard {
  /** Rooms a socket of `principal` joins (none when it is not this guard's kind). */
  rooms(principal: Principal): string[];
  /** Whether the credential still holds; undefined when the principal is not this guard's kind. */
  isLive(principal: Principal): Promise<boolean | undefined>;
}

export interface Realtime {
  io: SocketServer;
  setAuthenticator(authenticate: SocketAuthenticator): void;
  /** Adds a guard (identity's: a socket lives as long as its session). */
  guard(guard: SocketGuard): void;
  registerTopic(handler: TopicHandler): void;
  /** Adds fields to the snapshot of the topic family `name` (registered by its owner, before or after). */
  extendSnapshot(name: string, part: SnapshotPart): void;
  /** Hears every event this node receives on the events channel (any node's), after its sockets got it. */
  onEvent(listener: (event: RealtimeEvent) => void): void;
  /**
   * Whether this node hears the events channel (readiness): false until its subscription is
   * confirmed, and while the Redis connection carrying it is lost.
   */
  isListening(): boolean;
  /**
   * Closes this node's client connections as a broken transport would, so Socket.IO clients
   * reconnect by themselves (to another node) and resync; lets the HTTP server drain.
   */
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
  // Engine.IO keeps each connection's first HTTP request (the IncomingMessage with its headers, ~2.5
  // KB) for Socket.IO's `handshake`, and a WebSocket's upgrade response keeps it too, for the
  // connection's life. Nothing here reads it after the upgrade (the credential travels in the CONNECT
  // packet's `auth`), so both let go of it (docs/realtime.md "Memory per socket"). The upgrade response
  // needs its request only for middlewares' headers: this is the only middleware (one added after it
  // could not set an upgrade's headers).
  io.engine.use((_request: IncomingMessage, response: ServerResponse | { req: unknown }, next: () => void) => {
    if (!(response instanceof ServerResponse)) response.req = null;
    next();
  });
  io.engine.on("connection", (connection: { request: unknown }) => {
    connection.request = null;
  });
  const pub = createRedis(options.redisUrl, "socket-pub", { log });
  // The adapter subscribes once, as it is made: that subscribe waits for a Redis that is down at start.
  const sub = createRedis(options.redisUrl, "socket-sub", { log, waitForRedis: true });
  io.adapter(createAdapter(pub, sub, { key: `${prefix}:socket.io` }));

  // Domain events travel on one channel of our own rather than through the adapter's broadcast:
  // the adapter delivers a node's own emits locally at once and others' via Redis, so a client
  // could see seq 2 (local) before seq 1 (remote). Here every node, the publisher included, emits
  // in the order Redis published them, which the script makes the order of `seq`.
  const events = createRedis(options.redisUrl, "socket-events", { log });
  let listening = false;
  let heardBefore = false;
  // Counts the connection's lives, so a subscribe confirmed on a connection already lost counts for nothing.
  let connectionLife = 0;
  events.on("close", () => {
    connectionLife += 1;
    listening = false;
  });
  // On every (re)connect: subscribe, and only then count as listening (a refused subscribe is tried
  // again while the connection lasts). Events published while the connection was down never reach
  // this node, and no later gap need reveal them (nor a revocation it missed), so after a loss every
  // client of this node reconnects: it resyncs, and its credential is checked again.
  function listen(life: number, attempt = 0): void {
    events
      .subscribe(eventsChannel(prefix), disconnectChannel(prefix))
      .then(() => {
        if (life !== connectionLife) return;
        listening = true;
        if (heardBefore) {
          log.warn("events channel subscribed again after a loss; clients of this node reconnect to resync");
          dropConnections();
        }
        heardBefore = true;
      })
      .catch((error: unknown) => {
        if (attempt === 0) log.error({ err: error }, "events channel subscribe failed; trying again until it succeeds");
        if (life === connectionLife) setTimeout(() => life === connectionLife && listen(life, attempt + 1), SUBSCRIBE_RETRY_MS).unref();
      });
  }
  events.on("ready", () => listen(connectionLife));
  events.on("message", (channel: string, raw: string) => {
    if (channel === disconnectChannel(prefix)) {
      io.local.in(JSON.parse(raw) as string[]).disconnectSockets(true);
      return;
    }
    const envelope = JSON.parse(raw) as RealtimeEvent;
    io.local.to(envelope.topic).emit(SOCKET_EVENTS.event, envelope);
    for (const listener of eventListeners) {
      try {
        listener(envelope);
      } catch (error) {
        log.error({ err: error, topic: envelope.topic }, "an event listener failed");
      }
    }
  });

  /** Ends the engine connection, not the Socket.IO session: the client sees "transport close" and reconnects. */
  function dropConnections(): void {
    for (const socket of io.of("/").sockets.values()) socket.conn.close();
  }

  // Until identity registers an authenticator every socket is refused: never open by default.
  let authenticate: SocketAuthenticator = async () => null;
  const topics: TopicHandler[] = [];
  const parts = new Map<string, SnapshotPart[]>();
  const guards: SocketGuard[] = [];
  const eventListeners: ((event: RealtimeEvent) => void)[] = [];

  /** Whether every guard still vouches for the socket's credential. */
  async function isLive(principal: Principal): Promise<boolean> {
    const verdicts = await Promise.all(guards.map((guard) => guard.isLive(principal)));
    return verdicts.every((verdict) => verdict !== false);
  }

  io.use((socket, next) => {
    authenticate((socket.handshake.auth ?? {}) as Record<string, unknown>)
      .then((principal) => {
        if (!principal) return next(Object.assign(new Error("UNAUTHENTICATED"), { data: { code: "UNAUTHENTICATED" } }));
        socket.data.principal = principal;
        // The principal is what the guards and topics look at from now on; the token (~300 bytes) is not kept.
        socket.handshake.auth = {};
        next();
      })
      .catch((error: unknown) => {
        log.warn({ err: error }, "socket authentication failed");
        next(Object.assign(new Error("UNAUTHENTICATED"), { data: { code: "UNAUTHENTICATED" } }));
      });
  });

  // Every socket shares these listeners (Socket.IO calls them with the socket as `this`): a closure
  // per socket and event would be kept for the connection's life (docs/realtime.md "Memory per socket").
  function onDisconnect(): void {
    metrics.socketConnections.dec();
  }
  async function onSubscribe(this: ClientSocket, request: unknown, ack?: (reply: SubscribeAck) => void): Promise<void> {
    if (typeof ack !== "function") return;
    ack(await subscribe(this, request));
  }
  async function onUnsubscribe(this: ClientSocket, request: unknown, ack?: (reply: { ok: boolean }) => void): Promise<void> {
    const parsed = subscribeRequestSchema.safeParse(request);
    // Only a topic's room: the guards' rooms (a session's) must not be left, or a revocation would miss the socket.
    const room = parsed.success ? roomOf(this.data.principal, parsed.data.topic) : undefined;
    if (room) await this.leave(room);
    if (typeof ack === "function") ack({ ok: room !== undefined });
  }

  io.on("connection", (socket) => {
    metrics.socketConnections.inc();
    socket.on("disconnect", onDisconnect);
    socket.on(SOCKET_EVENTS.subscribe, onSubscribe);
    socket.on(SOCKET_EVENTS.unsubscribe, onUnsubscribe);
    checkAfterJoin(socket);
  });

  /**
   * Joins the guards' rooms, then looks at the credential again: a revocation that committed after
   * the handshake read the credential but before these joins closed the rooms without this socket;
   * it cannot miss the second look.
   */
  function checkAfterJoin(socket: ClientSocket): void {
    const principal = socket.data.principal;
    Promise.resolve(socket.join(guards.flatMap((guard) => guard.rooms(principal))))
      .then(() => isLive(principal))
      .then((live) => {
        if (!live) socket.disconnect(true);
      })
      // The handshake has just checked the credential, and every subscribe checks it again: a
      // database hiccup here does not throw a signed-in screen out.
      .catch((error: unknown) => log.warn({ err: error }, "socket credential check failed; left to the next subscribe"));
  }

  /** The room a topic name stands for (itself unless its handler renames it, like `me`); undefined when no family has it. */
  function roomOf(principal: Principal, topic: string): string | undefined {
    for (const handler of topics) {
      const match = topic.match(handler.pattern);
      if (match) return handler.room?.(principal, topic, match) ?? topic;
    }
    return undefined;
  }

  const refuse = (code: RealtimeErrorCode, message: string): SubscribeAck => ({ ok: false, code, message });

  async function subscribe(socket: ClientSocket, request: unknown): Promise<SubscribeAck> {
    const parsed = subscribeRequestSchema.safeParse(request);
    if (!parsed.success) return refuse("BAD_REQUEST", "expected { topic: string }");
    const { topic } = parsed.data;
    // A node that does not hear the events channel (starting, or its connection lost) would ack a seq
    // and then miss what follows it, with no later gap to reveal the loss: the client asks again.
    if (!listening) return refuse("UNAVAILABLE", "this node is not hearing events yet; try again");
    const principal = socket.data.principal;
    try {
      if (!(await isLive(principal))) {
        // The session ended (its sockets are being closed): nothing more for this socket.
        setImmediate(() => socket.disconnect(true));
        return refuse("UNAUTHENTICATED", "the credential was revoked");
      }
    } catch (error) {
      log.error({ err: error, topic }, "socket credential check failed");
      return refuse("UNAVAILABLE", "could not subscribe just now; try again");
    }
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
        const { epoch, seq } = await topicPosition(redis, prefix, room);
        const owned = (await handler.snapshot(principal, joined, match)) as Record<string, unknown>;
        const added = await Promise.all((parts.get(handler.name) ?? []).map((part) => part(principal, joined, match)));
        return { ok: true, topic: joined, epoch, seq, snapshot: Object.assign({}, owned, ...added) };
      } catch (error) {
        log.error({ err: error, topic }, "subscribe failed");
        if (room) await socket.leave(room);
        return refuse("UNAVAILABLE", "could not subscribe just now; try again");
      }
    }
    return refuse("UNKNOWN_TOPIC", `no such topic: ${topic}`);
  }

  return {
    io,
    setAuthenticator(next) {
      authenticate = next;
    },
    guard(next) {
      guards.push(next);
    },
    registerTopic(handler) {
      if (handler.pattern.flags.includes("i")) throw new Error(`topic family ${handler.name}: patterns match the canonical spelling only (no "i" flag)`);
      topics.push(handler);
    },
    extendSnapshot(name, part) {
      parts.set(name, [...(parts.get(name) ?? []), part]);
    },
    onEvent(listener) {
      eventListeners.push(listener);
    },
    isListening: () => listening,
    disconnectAll: dropConnections,
    async close() {
      dropConnections();
      // The HTTP server is Fastify's to close; io.close() only reports it as already closed.
      await new Promise<void>((resolve) => io.close(() => resolve()));
      await Promise.all([closeRedis(pub), closeRedis(sub), closeRedis(events)]);
    },
  };
}
