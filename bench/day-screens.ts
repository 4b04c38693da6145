/**
 * The clinic day's screens, in a process of their own (`bench/day.ts` forks it with tsx): one
 * socket.io-client socket (websocket) per screen, each subscribed to one topic — patients watching a
 * doctor's week (`slots:`), reception boards (`clinic:`), doctors' days (`doctor:`), waiting-room
 * displays (`display:`, display tokens). It stamps every event on arrival with
 * `performance.timeOrigin + performance.now()` (the same clock as the load generator's, same
 * machine) and keeps, per `slots:` change (slot id + new status), the first and last arrival and how
 * many screens had it; per topic it checks `seq` rises by one (a gap is a resync a real screen would
 * have to do). Protocol over IPC: parent sends `{screens, url}` → child answers `{ready, …}` once
 * every socket is subscribed; `{progress: true}` → `{progress, events}` (how many so far);
 * parent sends `{report: true}` → child answers `{report, …}`, closes
 * its sockets and exits.
 */
import { io, type Socket } from "socket.io-client";

export interface Screen {
  kind: "patient" | "reception" | "doctor" | "display";
  topic: string;
  /** An access token, or for a display a display token. */
  token: string;
}

export interface ScreensReady {
  ready: true;
  connected: number;
  subscribed: number;
  refused: Record<string, number>;
  seconds: number;
}

export interface ScreensReport {
  report: true;
  /** `slotId|status` → [first arrival, last arrival, screens that had it] (epoch ms, fractional). */
  slotEvents: Record<string, [number, number, number]>;
  eventsByType: Record<string, number>;
  events: number;
  gaps: number;
  disconnects: number;
  /** Screens per `slots:` topic, to compare with the arrivals counted per change. */
  watchersByTopic: Record<string, number>;
  rssBytes: number;
}

const CONNECT_CONCURRENCY = 50;
const now = () => performance.timeOrigin + performance.now();

interface Envelope {
  topic: string;
  seq: number;
  type: string;
  data: { slotId?: string; status?: string };
}

function send(message: object, then?: () => void): void {
  process.send!(message, undefined, {}, () => then?.());
}

async function openScreens(url: string, screens: Screen[]) {
  const sockets: Socket[] = [];
  const slotEvents = new Map<string, [number, number, number]>();
  const eventsByType = new Map<string, number>();
  const lastSeq = new Map<string, number>();
  const watchersByTopic: Record<string, number> = {};
  const refused: Record<string, number> = {};
  const counts = { connected: 0, subscribed: 0, events: 0, gaps: 0, disconnects: 0, closing: false };

  const onEvent = (socketIndex: number, event: Envelope) => {
    const at = now();
    counts.events++;
    eventsByType.set(event.type, (eventsByType.get(event.type) ?? 0) + 1);
    const key = `${socketIndex}|${event.topic}`;
    const last = lastSeq.get(key);
    if (last !== undefined && event.seq > last + 1) counts.gaps++;
    if (last === undefined || event.seq > last) lastSeq.set(key, event.seq);
    if (event.topic.startsWith("slots:") && event.data.slotId) {
      const change = `${event.data.slotId}|${event.data.status}`;
      const seen = slotEvents.get(change);
      if (seen) {
        seen[1] = at;
        seen[2]++;
      } else slotEvents.set(change, [at, at, 1]);
    }
  };

  const open = (screen: Screen, index: number) =>
    new Promise<void>((resolve) => {
      const auth = screen.kind === "display" ? { displayToken: screen.token } : { token: screen.token };
      const socket = io(url, { auth, transports: ["websocket"], forceNew: true, reconnection: false, timeout: 60_000 });
      sockets.push(socket);
      socket.on("event", (event: Envelope) => onEvent(index, event));
      socket.on("disconnect", () => {
        if (!counts.closing) counts.disconnects++;
      });
      socket.once("connect_error", (error) => {
        refused[`connect: ${error.message}`] = (refused[`connect: ${error.message}`] ?? 0) + 1;
        resolve();
      });
      socket.once("connect", () => {
        counts.connected++;
        socket.emit("subscribe", { topic: screen.topic }, (ack: { ok: boolean; seq?: number; code?: string }) => {
          if (ack.ok) {
            counts.subscribed++;
            lastSeq.set(`${index}|${screen.topic}`, ack.seq ?? 0);
            if (screen.kind === "patient") watchersByTopic[screen.topic] = (watchersByTopic[screen.topic] ?? 0) + 1;
          } else refused[`subscribe: ${ack.code}`] = (refused[`subscribe: ${ack.code}`] ?? 0) + 1;
          resolve();
        });
      });
    });

  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: CONNECT_CONCURRENCY }, async () => {
      while (next < screens.length) {
        const index = next++;
        await open(screens[index]!, index);
      }
    }),
  );
  send({ ready: true, connected: counts.connected, subscribed: counts.subscribed, refused, seconds: (performance.now() - started) / 1000 } satisfies ScreensReady);

  const events = () => counts.events;
  const close = () => {
    counts.closing = true;
    const report: ScreensReport = {
      report: true,
      slotEvents: Object.fromEntries(slotEvents),
      eventsByType: Object.fromEntries(eventsByType),
      events: counts.events,
      gaps: counts.gaps,
      disconnects: counts.disconnects,
      watchersByTopic,
      rssBytes: process.memoryUsage().rss,
    };
    for (const socket of sockets) socket.disconnect();
    return report;
  };
  return { close, events };
}

let opened: { close: () => ScreensReport; events: () => number } | undefined;
process.on("message", (message: { screens?: Screen[]; url?: string; report?: boolean; progress?: boolean }) => {
  if (message.screens && message.url) {
    void openScreens(message.url, message.screens).then((screens) => (opened = screens));
  } else if (message.progress && opened) {
    send({ progress: true, events: opened.events() });
  } else if (message.report && opened) {
    // Disconnect only once the report is written to the channel.
    send(opened.close(), () => process.disconnect());
  }
});
