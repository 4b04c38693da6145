/**
 * The fan-out bench's baseline server, in a process of its own (forked by bench/fanout.ts): a bare
 * `ws` server on loopback that sends an envelope of the platform's size to every client on order,
 * and reports its memory after a full collection.
 */
import type { AddressInfo } from "node:net";
import { WebSocketServer } from "ws";
import { clockMs, memoryAfterGc, type WsServerOrder, type WsServerReport } from "./fanout-peer";

const report = (message: WsServerReport): void => void process.send!(message);

const wss = new WebSocketServer({ host: "127.0.0.1", port: 0 });
await new Promise<void>((resolve) => wss.once("listening", () => resolve()));

/** The platform's envelope for a `slot.held` change, with the message's index as its seq. */
const envelope = (index: number) =>
  JSON.stringify({
    topic: "slots:3c1f7d2e-8a4b-4c6d-9e0f-1a2b3c4d5e6f",
    epoch: "AAAAAAAA",
    seq: index,
    type: "slot.held",
    data: {
      slotId: "6f0c1c2e-2b7a-4f55-9a0e-4a1f2b3c4d5e",
      doctorId: "3c1f7d2e-8a4b-4c6d-9e0f-1a2b3c4d5e6f",
      clinicId: "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
      start: new Date(Date.now() + 86_400_000).toISOString(),
      end: new Date(Date.now() + 86_400_000 + 900_000).toISOString(),
      status: "held",
      kind: "regular",
      version: index,
      holdExpiresAt: new Date(Date.now() + 600_000).toISOString(),
      cause: "held",
    },
    at: new Date().toISOString(),
  });

process.on("message", (order: WsServerOrder) => {
  switch (order.kind) {
    case "memory":
      return report({ kind: "memory", memory: memoryAfterGc() });
    case "clients":
      return report({ kind: "clients", count: wss.clients.size });
    case "send": {
      const at = clockMs();
      const text = envelope(order.index);
      for (const client of wss.clients) client.send(text);
      return report({ kind: "sent", index: order.index, at });
    }
  }
});
process.on("disconnect", () => process.exit(0));
report({ kind: "listening", url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}` });
