/**
 * What the fan-out bench's processes say to each other over their IPC channels (bench/fanout.ts
 * forks bench/fanout-clients.ts and bench/fanout-ws-server.ts), and the one clock they stamp with.
 */
import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

/**
 * Milliseconds on the system's monotonic clock (CLOCK_MONOTONIC, the same in every process of the
 * machine), so a stamp taken in the server process and one taken in a client process subtract.
 */
export const clockMs = () => Number(process.hrtime.bigint()) / 1e6;

/** Orders to a client process. */
export type ClientOrder =
  /** Open socket.io-client sockets, one per token, each subscribing to `topic`; a message's index is its `data.version`. */
  | { kind: "open-socketio"; url: string; tokens: string[]; topic: string }
  /** Open `count` bare ws clients; a message's index is its `seq`. */
  | { kind: "open-ws"; url: string; count: number }
  | { kind: "close" };

/** Reports from a client process. */
export type ClientReport =
  | { kind: "opened"; count: number }
  /** Every socket of this process has message `index`; `stamps` are their receive times (clockMs). */
  | { kind: "arrived"; index: number; stamps: number[] }
  | { kind: "closed" }
  | { kind: "failed"; message: string };

/** Orders to the bare ws server process. */
export type WsServerOrder = { kind: "memory" } | { kind: "send"; index: number } | { kind: "clients" };

/** Reports from the bare ws server process. */
export type WsServerReport =
  | { kind: "listening"; url: string }
  | { kind: "memory"; memory: MemoryFigures }
  | { kind: "sent"; index: number; at: number }
  | { kind: "clients"; count: number };

export interface MemoryFigures {
  rss: number;
  heapUsed: number;
  external: number;
}

/**
 * The process's memory after a memory-reducing full collection (the process runs with --expose-gc).
 * A burst of connections grows V8's young generation to its cap (two 64 MiB semi-spaces on this
 * machine) and a plain `gc()` keeps it committed; V8's memory reducer gives it back by itself after
 * ~20 s of calm, and this collection is that state at once, so the figures are what an idle node holds.
 */
export function memoryAfterGc(): MemoryFigures {
  const gc = (globalThis as { gc?: (options: { type: "major"; execution: "sync"; flavor: "last-resort" }) => void }).gc;
  if (!gc) throw new Error("run with --expose-gc");
  gc({ type: "major", execution: "sync", flavor: "last-resort" });
  const { rss, heapUsed, external } = process.memoryUsage();
  return { rss, heapUsed, external };
}

/** A bench script forked through tsx, with an IPC channel, --expose-gc and its own stdout/stderr passed through. */
export function forkBenchProcess(script: string): ChildProcess {
  return fork(fileURLToPath(new URL(script, import.meta.url)), [], { execArgv: ["--import", "tsx", "--expose-gc"], stdio: ["ignore", "inherit", "inherit", "ipc"] });
}

/** A child's next report of `kind` (and, when given, matching `accept`); rejects if the child exits first. */
export function nextReport<R extends { kind: string }, K extends R["kind"]>(
  child: ChildProcess,
  kind: K,
  accept: (report: Extract<R, { kind: K }>) => boolean = () => true,
): Promise<Extract<R, { kind: K }>> {
  return new Promise((resolve, reject) => {
    const onMessage = (report: R) => {
      if (report.kind === "failed") {
        cleanup();
        reject(new Error(`bench process failed: ${(report as unknown as { message: string }).message}`));
      } else if (report.kind === kind && accept(report as Extract<R, { kind: K }>)) {
        cleanup();
        resolve(report as Extract<R, { kind: K }>);
      }
    };
    const onExit = (code: number | null) => {
      cleanup();
      reject(new Error(`bench process exited (${code}) while waiting for "${kind}"`));
    };
    const cleanup = () => {
      child.off("message", onMessage);
      child.off("exit", onExit);
    };
    child.on("message", onMessage);
    child.once("exit", onExit);
  });
}
