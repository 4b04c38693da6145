/**
 * The client algorithm (docs/realtime.md "Client algorithm") as the web's useTopic runs it:
 * `TopicCursor` says which events to apply and when to subscribe again.
 */
import { describe, expect, it } from "vitest";
import { TopicCursor } from "@clinic/shared";

const event = (seq: number, epoch = "e1", topic = "slots:a") => ({ topic, epoch, seq });
const seqs = (step: { apply: { seq: number }[] }) => step.apply.map((applied) => applied.seq);

function subscribed(ack = { topic: "slots:a", epoch: "e1", seq: 3 }) {
  const cursor = new TopicCursor<ReturnType<typeof event>>();
  cursor.subscribing();
  expect(cursor.acked(ack)).toEqual({ apply: [], resync: false });
  return cursor;
}

describe("TopicCursor", () => {
  it("applies the next seq, ignores what the snapshot has, and ignores other topics", () => {
    const cursor = subscribed();
    expect(cursor.received(event(3))).toEqual({ apply: [], resync: false });
    expect(seqs(cursor.received(event(4)))).toEqual([4]);
    expect(cursor.received(event(9, "e1", "slots:b"))).toEqual({ apply: [], resync: false });
    expect(seqs(cursor.received(event(5)))).toEqual([5]);
    expect(cursor.seq).toBe(5);
  });

  it("asks for a resync on a gap, holds what arrives meanwhile, and continues from the new ack", () => {
    const cursor = subscribed();
    expect(cursor.received(event(5))).toEqual({ apply: [], resync: true });
    // Until the new ack, nothing is applied or asked again.
    expect(cursor.received(event(6))).toEqual({ apply: [], resync: false });
    cursor.subscribing();
    expect(cursor.received(event(7))).toEqual({ apply: [], resync: false });
    expect(seqs(cursor.acked({ topic: "slots:a", epoch: "e1", seq: 6 }))).toEqual([7]);
  });

  it("asks for a resync when the epoch changes, even when the new seq looks already seen", () => {
    const cursor = subscribed({ topic: "slots:a", epoch: "e1", seq: 40 });
    // Redis lost the counter: the next event is seq 1 of a new epoch, which a seq-only client drops.
    expect(cursor.received(event(1, "e2"))).toEqual({ apply: [], resync: true });
    cursor.subscribing();
    expect(cursor.received(event(2, "e2"))).toEqual({ apply: [], resync: false });
    expect(seqs(cursor.acked({ topic: "slots:a", epoch: "e2", seq: 1 }))).toEqual([2]);
    expect(cursor.seq).toBe(2);
  });

  it("applies events that arrived during the subscribe only when newer than the ack, in order", () => {
    const cursor = new TopicCursor<ReturnType<typeof event>>();
    cursor.subscribing();
    for (const seq of [2, 3, 4, 5]) cursor.received(event(seq, "e1", "me:u"));
    expect(seqs(cursor.acked({ topic: "me:u", epoch: "e1", seq: 3 }))).toEqual([4, 5]);
  });

  it("asks for a resync when an event held during the subscribe is of another epoch than the ack", () => {
    const cursor = new TopicCursor<ReturnType<typeof event>>();
    cursor.subscribing();
    cursor.received(event(50, "old"));
    expect(cursor.acked({ topic: "slots:a", epoch: "new", seq: 0 })).toEqual({ apply: [], resync: true });
  });

  it("applies nothing before an ack or after the subscription was abandoned", () => {
    const cursor = new TopicCursor<ReturnType<typeof event>>();
    expect(cursor.received(event(1))).toEqual({ apply: [], resync: false });
    const refused = subscribed();
    refused.abandon();
    expect(refused.received(event(4))).toEqual({ apply: [], resync: false });
    expect(refused.seq).toBe(0);
  });
});
