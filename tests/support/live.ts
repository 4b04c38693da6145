/**
 * A screen that follows a doctor's slots the way docs/realtime.md tells clients to: a stock
 * socket.io-client driven by the shared `TopicCursor` — subscribe on every connect, apply what the
 * cursor passes (the higher version per slot wins), resync when it asks, try again after an
 * `UNAVAILABLE` refusal. What it shows can then be compared with the database.
 */
import { io, type Socket } from "socket.io-client";
import { SUBSCRIBE_RETRY_MS, TopicCursor, type EventEnvelope, type SlotLive, type SubscribeAck } from "@clinic/shared";
import { subscribe } from "./harness";

/** Status and version by slot id. */
export type SlotView = Map<string, { status: string; version: number }>;

/** The statuses a patient's view of a doctor's week shows (the topic's snapshot has only these). */
const BOOKABLE = new Set(["available", "held"]);

/** The bookable part of slot rows (from the database, or a view), to compare with what a screen shows. */
export function bookable(rows: Iterable<{ id: string; status: string; version: number }>): SlotView {
  return new Map([...rows].filter((row) => BOOKABLE.has(row.status)).map((row) => [row.id, { status: row.status, version: row.version }]));
}

/** The same content, whatever the order. */
export const sameView = (a: SlotView, b: SlotView) => JSON.stringify([...a].sort()) === JSON.stringify([...b].sort());

export interface SlotFollower {
  socket: Socket;
  /** Every slot it has heard of, bookable or not. */
  view: SlotView;
  /** What it shows: the bookable slots of `view`. */
  shown(): SlotView;
  acks: { epoch: string; seq: number }[];
  received: EventEnvelope[];
  /** Refusals other than `UNAVAILABLE` (which it retries): a follower that got one stopped following. */
  refusals: string[];
  /** What happened to the connection and the subscription, with times: for a failure's message. */
  log: string[];
}

export function followSlots(url: string, token: string, topic: string): SlotFollower {
  const socket = io(url, { auth: { token }, transports: ["websocket"], forceNew: true, reconnectionDelay: 100, reconnectionDelayMax: 500 });
  const cursor = new TopicCursor();
  const view: SlotView = new Map();
  const follower: SlotFollower = {
    socket,
    view,
    shown: () => bookable([...view].map(([id, slot]) => ({ id, ...slot }))),
    acks: [],
    received: [],
    refusals: [],
    log: [],
  };
  const note = (what: string) => follower.log.push(`${new Date().toISOString().slice(11, 23)} ${what}`);
  socket.on("disconnect", (reason) => note(`disconnect ${reason}`));
  let generation = 0;

  const apply = (event: EventEnvelope) => {
    const slot = event.data as SlotLive;
    const known = view.get(slot.slotId);
    if (known && known.version >= slot.version) return;
    view.set(slot.slotId, { status: slot.status, version: slot.version });
  };
  const follow = (step: { apply: EventEnvelope[]; resync: boolean }) => {
    step.apply.forEach(apply);
    if (step.resync) void resync();
  };
  async function resync(): Promise<void> {
    const mine = ++generation;
    cursor.subscribing();
    const ack: SubscribeAck = await subscribe(socket, topic).catch(() => ({ ok: false, code: "UNAVAILABLE" }));
    if (mine !== generation) return;
    note(ack.ok ? `ack ${ack.epoch} ${ack.seq}` : `refused ${ack.code}`);
    if (!ack.ok) {
      // Also a subscribe that got no answer (the node died under it): the next connect, or this, tries again.
      if (ack.code === "UNAVAILABLE") setTimeout(() => mine === generation && socket.connected && void resync(), SUBSCRIBE_RETRY_MS);
      else follower.refusals.push(ack.code);
      return;
    }
    follower.acks.push({ epoch: ack.epoch, seq: ack.seq });
    view.clear();
    for (const slot of (ack.snapshot as { slots: SlotLive[] }).slots) view.set(slot.slotId, { status: slot.status, version: slot.version });
    follow(cursor.acked(ack));
  }
  socket.on("connect", () => {
    note("connect");
    void resync();
  });
  socket.on("event", (event: EventEnvelope) => {
    follower.received.push(event);
    follow(cursor.received(event));
  });
  return follower;
}
