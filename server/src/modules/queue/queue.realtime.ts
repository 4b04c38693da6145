/**
 * The queue module's socket side: the `display:{clinicId}` topic (waiting-room screens and the
 * clinic's staff), the plumbing that keeps display-token sockets on a short leash (each joins the
 * room `display-token:{id}`, so revoking the token disconnects it on every node), and the only
 * place that turns committed queue changes and ETAs into events.
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import { isDomainEventOf, SOCKET_EVENTS, topics, type DomainEvent } from "@clinic/shared";
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
 * the doctor topics concerned; then, per clinic, `display.called` for each call and one
 * `display.updated` carrying the whole anonymised feed (read now, after commit) to
 * `display:{clinicId}`. Staff views never go to a display topic. A failure is retried by the outbox.
 */
export function queueRealtime(ctx: ModuleContext): Subscriber {
  return {
    name: "queue-realtime",
    wants: (name) => name.startsWith("queue."),
    async handle(events: DomainEvent[]) {
      const changes = events.filter((event) => isDomainEventOf(event, "queue"));
      const messages: RealtimeMessage[] = [];
      for (const { name: type, data: { entry, alsoDoctorIds } } of changes) {
        const doctors = new Set([entry.doctorId, ...alsoDoctorIds].filter((id): id is string => id !== null));
        messages.push({ topic: topics.clinic(entry.clinicId), type, data: entry });
        for (const doctorId of doctors) messages.push({ topic: topics.doctor(doctorId), type, data: entry });
      }
      const em = ctx.orm.em.fork() as EntityManager;
      for (const clinicId of new Set(changes.map((change) => change.data.entry.clinicId))) {
        for (const change of changes) {
          if (change.name === "queue.called" && change.data.entry.clinicId === clinicId) messages.push({ topic: topics.display(clinicId), type: "display.called", data: calledAnnouncement(change.data.entry) });
        }
        messages.push({ topic: topics.display(clinicId), type: "display.updated", data: await displayFeed(em, ctx.config.auth.jwtSecret, clinicId) });
      }
      // Issued back to back on one Redis connection, so Redis numbers them in this order.
      await Promise.all(messages.map(({ topic, type, data }) => ctx.events.publish(topic, type, data)));
    },
  };
}

/**
 * A recomputation's ETAs to sockets (docs/queue-eta.md), in the order they were recorded: each
 * `eta.updated` to the doctor's and the clinic's topics (the whole estimate) and to the clinic's
 * display (tickets and times only), each `eta.changed` to the patient's own `me`. A failure is
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
          const { staff, display } = event.data;
          messages.push(
            { topic: topics.doctor(staff.doctorId), type: event.name, data: staff },
            { topic: topics.clinic(staff.clinicId), type: event.name, data: staff },
            { topic: topics.display(staff.clinicId), type: event.name, data: display },
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
}
