/**
 * Stopping a listener without resetting connections it has not accepted yet. Closing a listening
 * socket makes the kernel reset every connection waiting in its accept queue: a load balancer that
 * has just connected and sent its request (a POST, which it will not send again) gets a reset
 * instead of an answer. A connection refused once the listener is gone is harmless: the balancer
 * tries another node. So the listener is closed at a moment its accept queue is empty.
 */
import { closeSync, openSync, readSync } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";

/** The listening sockets come first in /proc/net/tcp; their rows fit in this much. */
const LISTENERS_READ_BYTES = 16 * 1024;
const TCP_LISTEN_STATE = "0A";
/** The longest the close waits for an empty accept queue (a node swamped by connections has none). */
const EMPTY_QUEUE_WAIT_MS = 1_000;

/**
 * Connections the kernel holds for listeners on `port` that no process has accepted yet, from
 * Linux's /proc/net/tcp and tcp6 (a LISTEN row's rx_queue is its accept queue); undefined where
 * they cannot be read.
 */
export function queuedConnections(port: number): number | undefined {
  const portHex = `:${port.toString(16).toUpperCase().padStart(4, "0")}`;
  const buffer = Buffer.alloc(LISTENERS_READ_BYTES);
  let queued = 0;
  try {
    for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
      const fd = openSync(file, "r");
      let length: number;
      try {
        length = readSync(fd, buffer, 0, buffer.length, 0);
      } finally {
        closeSync(fd);
      }
      // Past the header; the last piece is empty or a row cut off by the buffer's end.
      for (const line of buffer.toString("latin1", 0, length).split("\n").slice(1, -1)) {
        // sl local_address rem_address st tx_queue:rx_queue …
        const [, local, , state, queues] = line.trim().split(/\s+/);
        if (state !== TCP_LISTEN_STATE) break;
        if (local?.endsWith(portHex)) queued += Number.parseInt(queues?.split(":")[1] ?? "0", 16);
      }
    }
  } catch {
    return undefined;
  }
  return queued;
}

/**
 * Closes `server` (Node's HTTP close: no new connections, idle ones ended, the rest left to
 * finish) once its accept queue is empty, yielding to the event loop, which accepts what is
 * queued, until then, for at most a second; the close follows the check at once. Where the queue
 * cannot be read, closes after the next poll phase. Resolves when the listener is closed, not
 * when the server's connections are.
 */
export async function stopAccepting(server: Server): Promise<void> {
  if (!server.listening) return;
  const { port } = server.address() as AddressInfo;
  const stopWaitingAt = performance.now() + EMPTY_QUEUE_WAIT_MS;
  for (;;) {
    // Right after the poll phase, where the process accepts what is queued.
    await new Promise((resolve) => setImmediate(resolve));
    const queued = queuedConnections(port);
    if (queued === undefined || queued === 0 || performance.now() > stopWaitingAt) break;
  }
  server.close();
}
