import type { EventEnvelope } from "./realtime";

/** Where a client stands on one topic: the room the ack named, its counter's epoch, the last seq applied. */
export interface TopicPosition {
  topic: string;
  epoch: string;
  seq: number;
}

/** What the client does next: apply `apply` in order, then subscribe again when `resync` is set. */
export interface CursorStep<E> {
  apply: E[];
  resync: boolean;
}

type Sequenced = Pick<EventEnvelope, "topic" | "epoch" | "seq">;

/**
 * The client algorithm of docs/realtime.md ("Client algorithm") for one topic, without I/O: the
 * web's `useTopic` and the tests drive it with a real socket. It holds events while a subscribe is
 * in flight, ignores what the snapshot already has, and asks for a resync on a gap or a new epoch
 * (Redis lost the topic's counter, so the seqs that follow cannot be compared with ours).
 */
export class TopicCursor<E extends Sequenced = EventEnvelope> {
  private position: TopicPosition | null = null;
  /** Set while a subscribe is on its way: the events that arrived meanwhile, which may be newer than its ack. */
  private buffered: E[] | null = null;

  /** The last seq applied (0 before the first ack). */
  get seq(): number {
    return this.position?.seq ?? 0;
  }

  /** A (re)subscribe was sent: events wait for its ack. */
  subscribing(): void {
    this.buffered ??= [];
  }

  /** The ack: the snapshot stands at `ack.seq` of `ack.epoch`; buffered events newer than it follow. */
  acked(ack: TopicPosition): CursorStep<E> {
    const buffered = this.buffered ?? [];
    this.buffered = null;
    this.position = { topic: ack.topic, epoch: ack.epoch, seq: ack.seq };
    return this.advance(buffered);
  }

  /** The subscription is gone (refused, or the topic dropped): forget the position and the buffer. */
  abandon(): void {
    this.position = null;
    this.buffered = null;
  }

  /** An event from the socket (another topic's is ignored). */
  received(event: E): CursorStep<E> {
    if (this.buffered) {
      this.buffered.push(event);
      return { apply: [], resync: false };
    }
    return this.advance([event]);
  }

  private advance(events: E[]): CursorStep<E> {
    const apply: E[] = [];
    const position = this.position;
    if (!position) return { apply, resync: false };
    for (const event of events) {
      if (event.topic !== position.topic) continue;
      if (event.epoch !== position.epoch || event.seq > position.seq + 1) {
        // Missed something, or the counter restarted: hold what follows until the new ack.
        this.buffered = [];
        return { apply, resync: true };
      }
      if (event.seq <= position.seq) continue; // already in the snapshot
      position.seq = event.seq;
      apply.push(event);
    }
    return { apply, resync: false };
  }
}
