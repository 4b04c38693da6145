/**
 * useTopic(topic): the live state of one realtime topic. Subscribes after every (re)connect and
 * replaces the state with the ack's snapshot; applies events in `seq` order through `reduce`; on a
 * seq gap or a new epoch (Redis lost the topic's counter) it re-subscribes (the snapshot is the
 * truth). The sequencing is the shared `TopicCursor` (docs/realtime.md "Client algorithm"). No polling.
 */
import { useEffect, useRef, useState } from "react";
import { isReceivedEvent, SOCKET_EVENTS, SUBSCRIBE_RETRY_MS, TopicCursor, type CursorStep, type EventEnvelope, type ReceivedEvent } from "@clinic/shared";
import { acquire, dropTopic, holdTopic, parseEnvelope, release, subscribe, type ConnectionStatus, type Credential, type TopicName } from "./realtime";

export interface TopicOptions<S> {
  /** Defaults to the signed-in user's socket. */
  credential?: Credential;
  /** Turns the ack's snapshot into state; throw to reject a malformed one. */
  fromSnapshot: (snapshot: unknown) => S;
  /** Applies one in-order event (dispatch on its typed name); return the state unchanged to ignore it. */
  reduce?: (state: S, event: ReceivedEvent) => S;
  /** Side effects of an event (announcements); called after reduce, in order. */
  onEvent?: (event: ReceivedEvent) => void;
}

export interface TopicState<S> {
  state: S | null;
  status: ConnectionStatus;
  /** Why the topic is offline or refused (FORBIDDEN, a revoked token …). */
  error: string | null;
  /** Last applied seq (for tests and diagnostics). */
  seq: number;
}

export function useTopic<S>(topic: TopicName | null, options: TopicOptions<S>): TopicState<S> {
  const [result, setResult] = useState<TopicState<S>>({ state: null, status: "reconnecting", error: null, seq: 0 });
  // The callbacks change every render; the subscription must not.
  const optionsRef = useRef(options);
  optionsRef.current = options;
  const credentialKey = options.credential?.kind === "display" ? options.credential.token : "user";

  useEffect(() => {
    if (!topic) return;
    const credential: Credential = optionsRef.current.credential ?? { kind: "user" };
    const connection = acquire(credential);
    const { socket } = connection;
    holdTopic(connection, topic);
    let disposed = false;
    let state: S | null = null;
    const cursor = new TopicCursor();
    let generation = 0;

    const publish = (patch: Partial<TopicState<S>>) => {
      if (!disposed) setResult((previous) => ({ ...previous, state, seq: cursor.seq, ...patch }));
    };

    const apply = (event: EventEnvelope) => {
      // A name this build does not know (a newer server's) is counted and skipped, as reducers would.
      if (!isReceivedEvent(event)) return;
      const { reduce, onEvent } = optionsRef.current;
      if (reduce && state !== null) state = reduce(state, event);
      onEvent?.(event);
    };

    /** Applies what the cursor says; false when it asked for a resync (started here). */
    const follow = (step: CursorStep<EventEnvelope>): boolean => {
      step.apply.forEach(apply);
      if (step.resync) void resubscribe();
      return !step.resync;
    };

    const resubscribe = async () => {
      if (!socket.connected) return;
      const mine = ++generation;
      cursor.subscribing();
      publish({ status: "reconnecting" });
      const ack = await subscribe(socket, topic);
      if (disposed || mine !== generation) return;
      if (!ack.ok && ack.code === "UNAVAILABLE") {
        // The node could not reach Redis or PostgreSQL just then: keep the data shown, ask again.
        publish({ status: "reconnecting" });
        setTimeout(() => {
          if (!disposed && mine === generation) void resubscribe();
        }, SUBSCRIBE_RETRY_MS);
        return;
      }
      if (!ack.ok) {
        // Refused (e.g. FORBIDDEN after losing a membership): stop showing the topic's data.
        cursor.abandon();
        state = null;
        publish({ status: "offline", error: `${ack.code}${ack.message ? `: ${ack.message}` : ""}` });
        return;
      }
      try {
        state = optionsRef.current.fromSnapshot(ack.snapshot);
      } catch {
        cursor.abandon();
        publish({ status: "offline", error: "The server sent a snapshot this screen cannot read." });
        return;
      }
      if (follow(cursor.acked(ack))) publish({ status: "live", error: null });
    };

    const onEnvelope = (raw: unknown) => {
      const event = parseEnvelope(raw);
      if (event && follow(cursor.received(event))) publish({});
    };
    const onDisconnect = () => publish({ status: connection.refused ? "offline" : "reconnecting", error: connection.refused });
    const onRefused = () => {
      if (!connection.refused) return;
      // The credential itself was refused (revoked token, ended session): the data is not ours to show.
      state = null;
      publish({ status: "offline", error: connection.refused });
    };
    const onConnect = () => void resubscribe();
    const onOffline = () => publish({ status: "offline", error: "This device is offline." });
    const onOnline = () => publish({ status: socket.connected ? "live" : "reconnecting", error: null });
    window.addEventListener("offline", onOffline);
    window.addEventListener("online", onOnline);

    socket.on(SOCKET_EVENTS.event, onEnvelope);
    socket.on("connect", onConnect);
    socket.on("disconnect", onDisconnect);
    socket.on("connect_error", onDisconnect);
    connection.listeners.add(onRefused);
    if (socket.connected) void resubscribe();

    return () => {
      disposed = true;
      window.removeEventListener("offline", onOffline);
      window.removeEventListener("online", onOnline);
      socket.off(SOCKET_EVENTS.event, onEnvelope);
      socket.off("connect", onConnect);
      socket.off("disconnect", onDisconnect);
      socket.off("connect_error", onDisconnect);
      connection.listeners.delete(onRefused);
      dropTopic(connection, topic);
      release(credential, connection);
      setResult({ state: null, status: "reconnecting", error: null, seq: 0 });
    };
  }, [topic, credentialKey]);

  return result;
}
