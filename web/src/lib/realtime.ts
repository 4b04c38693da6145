/**
 * The Socket.IO connection: one socket per credential (a user's access token or a screen's display
 * token), shared by every useTopic on the page. The socket reconnects by itself; each topic
 * re-subscribes after every (re)connect and replaces its state with the snapshot.
 */
import { io, type Socket } from "socket.io-client";
import {
  SOCKET_EVENTS,
  eventEnvelopeSchema,
  type ClientToServerEvents,
  type EventEnvelope,
  type MY_TOPIC,
  type ServerToClientEvents,
  type SubscribeAck,
  type Topic,
} from "@clinic/shared";
import { accessToken, refreshSession } from "./api";

export type Credential = { kind: "user" } | { kind: "display"; token: string };
/** The client's socket, typed by the contract's events (@clinic/shared). */
export type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;
/** What a screen subscribes to: a topic from `topics`, or its own room. */
export type TopicName = Topic | typeof MY_TOPIC;
export type ConnectionStatus = "live" | "reconnecting" | "offline";

interface Connection {
  socket: ClientSocket;
  /** Set when the server refused the credential (revoked display token, signed out). */
  refused: string | null;
  users: number;
  /** Told when `refused` changes (socket events tell the rest). */
  listeners: Set<() => void>;
  /** How many hooks hold each topic: the last one out unsubscribes. */
  topics: Map<string, number>;
}

const connections = new Map<string, Connection>();

function keyOf(credential: Credential): string {
  return credential.kind === "user" ? "user" : `display:${credential.token}`;
}

function open(credential: Credential): Connection {
  const socket: ClientSocket = io({
    path: "/socket.io",
    transports: ["websocket"],
    // Called on every (re)connect, so a reconnect presents the current (refreshed) access token.
    auth: (cb) => {
      if (credential.kind === "display") return cb({ displayToken: credential.token });
      void accessToken().then((token) => cb({ token }));
    },
    reconnectionDelay: 500,
    reconnectionDelayMax: 10_000,
  });
  const connection: Connection = { socket, refused: null, users: 0, listeners: new Set(), topics: new Map() };
  const refuse = (message: string | null) => {
    connection.refused = message;
    for (const listener of connection.listeners) listener();
  };
  socket.on("connect", () => refuse(null));
  socket.on("connect_error", (error) => {
    if (error.message !== "UNAUTHENTICATED") return; // transport trouble: the client retries itself
    if (credential.kind === "user") {
      // An expired access token: refresh, then try again; a failed refresh means signed out.
      void refreshSession().then((ok) => {
        if (ok) socket.connect();
        else refuse("Your session has ended. Sign in again.");
      });
    } else {
      refuse("This screen is not set up: its display token was refused.");
    }
  });
  socket.on("disconnect", (reason) => {
    // The server ended it on purpose: a revoked credential (a signed-out or revoked session, a
    // revoked display token). Socket.IO will not reconnect by itself, so try once after a jittered
    // pause: the credential is then refused (UNAUTHENTICATED above) and the screen says so. (A node
    // shutting down closes the transport instead, which Socket.IO reconnects from on its own.)
    if (reason !== "io server disconnect") return;
    setTimeout(() => {
      if (connection.users > 0 && !socket.connected) socket.connect();
    }, 500 + Math.random() * 1500);
  });
  return connection;
}

export type { Connection };

export function acquire(credential: Credential): Connection {
  const key = keyOf(credential);
  let connection = connections.get(key);
  if (!connection || (!connection.socket.active && !connection.socket.connected)) {
    connection = open(credential);
    connections.set(key, connection);
  }
  connection.users++;
  return connection;
}

export function release(credential: Credential, connection: Connection): void {
  connection.users--;
  if (connection.users > 0) return;
  connection.socket.disconnect();
  if (connections.get(keyOf(credential)) === connection) connections.delete(keyOf(credential));
}

/** Drops every socket (sign-out): the next useTopic opens a fresh one with the new credential. */
export function closeAll(): void {
  for (const connection of connections.values()) connection.socket.disconnect();
  connections.clear();
}

export function subscribe(socket: ClientSocket, topic: TopicName): Promise<SubscribeAck> {
  return new Promise((resolve) => {
    socket.timeout(10_000).emit(SOCKET_EVENTS.subscribe, { topic }, (error: Error | null, ack: SubscribeAck) => {
      resolve(error ? { ok: false, code: "TIMEOUT", message: "The server did not answer the subscription." } : ack);
    });
  });
}

export function parseEnvelope(value: unknown): EventEnvelope | null {
  const parsed = eventEnvelopeSchema.safeParse(value);
  return parsed.success ? (parsed.data as EventEnvelope) : null;
}

export function holdTopic(connection: Connection, topic: TopicName): void {
  connection.topics.set(topic, (connection.topics.get(topic) ?? 0) + 1);
}

/** Unsubscribes only when no other hook on the page still shows the topic. */
export function dropTopic(connection: Connection, topic: TopicName): void {
  const left = (connection.topics.get(topic) ?? 1) - 1;
  if (left > 0) return void connection.topics.set(topic, left);
  connection.topics.delete(topic);
  if (connection.socket.connected) connection.socket.emit(SOCKET_EVENTS.unsubscribe, { topic });
}
