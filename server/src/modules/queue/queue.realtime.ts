/**
 * The queue module's socket side: the `display:{clinicId}` topic (waiting-room screens and the
 * clinic's staff), the plumbing that keeps display-token sockets on a short leash (each joins the
 * room `display-token:{id}`, so revoking the token disconnects it on every node), and the only
 * place that turns committed queue changes and ETAs into events.
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import { isDomainEventOf, SOCKET_EVENTS, topics, type DomainEvent, type QueueEntryView } from "@clinic/shared";
import type { RealtimeMessage } from "../../platform/events";
import type { ModuleContext } from "../../platform/module";
import type { Subscriber } from "../../platform/outbox";
import type { Principal, Realtime } from "../../platform/realtime";
import { Clinic } from "../directory";
import { asUser, can } from "../identity";
import { isDisplayPrincipal, isDisplayTokenLive } from "./display-token.service";
import { calledAnnouncement, displayFeed } from "./queue.display";
import { clinicQueueOf, doctorQueueOf } from "./queue.views";

/**
 * The `queue.*` domain events to sockets: each change (the staff view) to `clinic:{clinicId}` and
 * the doctor topics concerned. Staff views never go to a display topic; the waiting-room screens'
 * events are made from these by the nodes that hold the screens (`publishWatchedDisplays`). A
 * failure is retried by the outbox.
 */
export function queueRealtime(ctx: ModuleContext): Subscriber {
  return {
    name: "queue-realtime",
    wants: (name) => name.startsWith("queue."),
    async handle(events: DomainEvent[]) {
      const messages: RealtimeMessage[] = [];
      for (const { name: type, data: { entry, alsoDoctorIds } } of events.filter((event) => isDomainEventOf(event, "queue"))) {
        const doctors = new Set([entry.doctorId, ...alsoDoctorIds].filter((id): id is string => id !== null));
        messages.push({ topic: topics.clinic(entry.clinicId), type, data: entry });
        for (const doctorId of doctors) messages.push({ topic: topics.doctor(doctorId), type, data: entry });
      }
      // Issued back to back on one Redis connection, so Redis numbers them in this order.
      await Promise.all(messages.map(({ topic, type, data }) => ctx.events.publish(topic, type, data)));
    },
  };
}

const CLINIC_TOPIC = /^clinic:([0-9a-f-]{36})$/;
/** How long a node's claim to announce one call lasts (only a redelivered event comes later). */
const ANNOUNCE_CLAIM_MS = 60_000;
/** The pause before a feed that could not be built or published is tried again. */
const FEED_RETRY_MS = 1_000;

/**
 * The waiting-room screens' events, made only where a screen watches (docs/queue.md, "The display
 * feed"; docs/decisions.md). Every node hears every clinic's staff events; a node with sockets
 * subscribed to `display:{clinicId}` answers the clinic's queue changes (and ETA updates) with
 * `display.updated`, the whole feed read after the change, at most once per `feedDebounceMs`, and
 * each call with `display.called` (announced once across the nodes: the first to claim it in Redis).
 * A clinic no node watches costs no feed read and publishes nothing on its display topic.
 */
export function publishWatchedDisplays(realtime: Realtime, ctx: ModuleContext): void {
  const { feedDebounceMs } = ctx.config.display;
  const prefix = ctx.config.redis.prefix;
  const isWatchedHere = (clinicId: string) => realtime.io.of("/").adapter.rooms.has(topics.display(clinicId));
  /** Clinics with a feed build waiting for its timer or running; `stale`: changed while one ran. */
  const builds = new Map<string, { running: boolean; stale: boolean }>();

  function schedule(clinicId: string, delayMs: number): void {
    builds.set(clinicId, { running: false, stale: false });
    setTimeout(() => void build(clinicId), delayMs).unref();
  }

  async function build(clinicId: string): Promise<void> {
    const state = builds.get(clinicId)!;
    // The last screen left meanwhile: nothing to build (its next subscribe reads a snapshot).
    if (!isWatchedHere(clinicId)) return void builds.delete(clinicId);
    state.running = true;
    let retryMs: number | undefined;
    try {
      const feed = await displayFeed(ctx.orm.em.fork() as EntityManager, ctx.config.auth.jwtSecret, clinicId);
      await ctx.events.publish(topics.display(clinicId), "display.updated", feed);
    } catch (error) {
      ctx.log.warn({ err: error, clinicId }, "display feed build failed; trying again");
      retryMs = FEED_RETRY_MS;
    }
    builds.delete(clinicId);
    if (state.stale || retryMs !== undefined) schedule(clinicId, retryMs ?? feedDebounceMs);
  }

  /** A change of the clinic's queue was committed (and published) before this call. */
  function changed(clinicId: string): void {
    if (!isWatchedHere(clinicId)) return;
    const state = builds.get(clinicId);
    // A build still waiting reads after this change; one already reading may have missed it.
    if (state) state.stale ||= state.running;
    else schedule(clinicId, feedDebounceMs);
  }

  async function announce(entry: QueueEntryView): Promise<void> {
    const claimed = await ctx.redis.set(`${prefix}:display-called:${entry.id}:${entry.version}`, "1", "PX", ANNOUNCE_CLAIM_MS, "NX");
    if (claimed) await ctx.events.publish(topics.display(entry.clinicId), "display.called", calledAnnouncement(entry));
  }

  realtime.onEvent((event) => {
    const clinicId = CLINIC_TOPIC.exec(event.topic)?.[1];
    if (!clinicId || !(event.type.startsWith("queue.") || event.type === "eta.updated")) return;
    if (event.type === "queue.called" && isWatchedHere(clinicId)) {
      announce(event.data).catch((error: unknown) => ctx.log.warn({ err: error, clinicId }, "display announcement failed"));
    }
    changed(clinicId);
  });
}

/**
 * A recomputation's ETAs to sockets (docs/queue-eta.md), in the order they were recorded: each
 * `eta.updated` to the doctor's and the clinic's topics (the whole estimate) and to the clinic's
 * display (tickets and times only), `eta.moved` to each patient whose estimate moved, and each
 * `eta.changed` to the patient's own `me`. A failure is
 * retried by the outbox; the next recomputation publishes fresh ones anyway.
 */
export function etaRealtime(ctx: ModuleContext): Subscriber {
  return {
    name: "eta-realtime",
    wants: (name) => name === "eta.updated" || name === "eta.changed",
    async handle(events: DomainEvent[]) {
      const messages: RealtimeMessage[] = [];
      for (const event of events) {
        if (event.name === "eta.updated") {
          const { staff, display, patients } = event.data;
          messages.push(
            { topic: topics.doctor(staff.doctorId), type: event.name, data: staff },
            { topic: topics.clinic(staff.clinicId), type: event.name, data: staff },
            { topic: topics.display(staff.clinicId), type: event.name, data: display },
            ...patients.map(({ patientUserId, ...moved }) => ({ topic: topics.me(patientUserId), type: "eta.moved" as const, data: moved })),
          );
        }
        if (event.name === "eta.changed") messages.push({ topic: topics.me(event.data.patientUserId), type: event.name, data: event.data.change });
      }
      await Promise.all(messages.map(({ topic, type, data }) => ctx.events.publish(topic, type, data)));
    },
  };
}

const UUID = "([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})";

/** The room every socket of one display token sits in (not a topic: nobody can subscribe to it). */
export const displayTokenRoom = (tokenId: string) => `display-token:${tokenId}`;


/**
 * Disconnects every socket authenticated with the token, on every node (the Redis adapter carries
 * the request). Call after the revocation commits.
 */
export function disconnectDisplayToken(realtime: Realtime, tokenId: string): void {
  realtime.io.in(displayTokenRoom(tokenId)).disconnectSockets(true);
}

export function registerQueueTopics(realtime: Realtime, ctx: ModuleContext): void {
  const em = () => ctx.orm.em.fork() as EntityManager;

  realtime.io.on("connection", (socket) => {
    const principal = socket.data.principal as Principal | undefined;
    if (!principal || !isDisplayPrincipal(principal)) return;
    const room = displayTokenRoom(principal.id);
    // The gateway's `unsubscribe` leaves whatever room it is named; a screen must not be able to
    // leave its token's room (and so outlive a revocation). Screens may only leave display topics.
    socket.use((packet, next) => {
      const [event, request] = packet;
      const topic = (request as { topic?: unknown } | undefined)?.topic;
      if (event !== SOCKET_EVENTS.unsubscribe || (typeof topic === "string" && topic.startsWith("display:"))) return next();
      const ack = packet[packet.length - 1];
      if (typeof ack === "function") (ack as (reply: { ok: boolean }) => void)({ ok: false });
    });
    // Join, then look again: a revocation that committed after the handshake read the token but
    // before this join would have missed this socket; it cannot miss the second look.
    Promise.resolve(socket.join(room))
      .then(() => isDisplayTokenLive(em(), principal.id))
      .then((live) => {
        if (!live) socket.disconnect(true);
      })
      .catch((error: unknown) => {
        ctx.log.warn({ err: error }, "display socket check failed; disconnecting");
        socket.disconnect(true);
      });
  });

  // The staff topics' snapshots carry today's queue, so a screen that reconnects resyncs it with the day.
  realtime.extendSnapshot("doctor", async (_principal, _room, match) => ({ queue: (await doctorQueueOf(em(), match[1]!)).items }));
  realtime.extendSnapshot("clinic", async (_principal, _room, match) => ({ queue: (await clinicQueueOf(em(), match[1]!)).items }));

  // display:{clinicId} — a display token of that clinic, the clinic's staff, the platform. Anonymised.
  realtime.registerTopic({
    name: "display",
    pattern: new RegExp(`^${topics.display(UUID)}$`),
    async authorize(principal, _topic, match) {
      const clinicId = match[1]!;
      if (isDisplayPrincipal(principal)) return principal.clinicId === clinicId && isDisplayTokenLive(em(), principal.id);
      const user = asUser(principal);
      if (!user || !can(user, "clinic.display.read", { clinicId })) return false;
      return (await em().count(Clinic, { id: clinicId })) > 0;
    },
    snapshot: (_principal, _room, match) => displayFeed(em(), ctx.config.auth.jwtSecret, match[1]!),
  });
  publishWatchedDisplays(realtime, ctx);
}
