/**
 * The queue module's socket side: the `display:{clinicId}` topic (waiting-room screens and the
 * clinic's staff), the plumbing that keeps display-token sockets on a short leash (each joins the
 * room `display-token:{id}`, so revoking the token disconnects it on every node), and the only
 * place that turns committed queue changes into events.
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import { SOCKET_EVENTS, type QueueEntryView } from "@clinic/shared";
import type { ModuleContext } from "../../platform/module";
import type { Principal, Realtime } from "../../platform/realtime";
import { Clinic } from "../directory/clinic.entity";
import { can } from "../identity/access";
import type { UserPrincipal } from "../identity/principal";
import { isDisplayPrincipal, isDisplayTokenLive } from "./display-token.service";
import { calledAnnouncement, displayFeed } from "./queue.display";

/** One committed change of a queue entry; `alsoDoctorIds`: other doctors concerned (a handover's previous doctor). */
export interface QueueChange {
  entry: QueueEntryView;
  /** checked_in | walked_in | called | started | finished | sent_back | no_show | left | reordered | reassigned */
  cause: string;
  alsoDoctorIds: string[];
}

/**
 * After commit: each change as `queue.{cause}` (the staff view) to `clinic:{clinicId}` and the
 * doctor topics concerned; then, per clinic, `display.called` for each call and one
 * `display.updated` carrying the whole anonymised feed (read now, after commit) to `display:{clinicId}`.
 * Staff views never go to a display topic. Failures are logged; clients resync on a seq gap.
 */
export async function publishQueueChanges(ctx: Pick<ModuleContext, "events" | "orm" | "config" | "log">, changes: QueueChange[]): Promise<void> {
  if (changes.length === 0) return;
  const messages: [topic: string, type: string, data: unknown][] = [];
  for (const change of changes) {
    const { entry } = change;
    const doctors = new Set([entry.doctorId, ...change.alsoDoctorIds].filter((id): id is string => id !== null));
    messages.push([`clinic:${entry.clinicId}`, `queue.${change.cause}`, entry]);
    for (const doctorId of doctors) messages.push([`doctor:${doctorId}`, `queue.${change.cause}`, entry]);
  }
  const clinics = [...new Set(changes.map((change) => change.entry.clinicId))];
  const em = ctx.orm.em.fork() as EntityManager;
  for (const clinicId of clinics) {
    for (const change of changes) {
      if (change.cause === "called" && change.entry.clinicId === clinicId) messages.push([`display:${clinicId}`, "display.called", calledAnnouncement(change.entry)]);
    }
    messages.push([`display:${clinicId}`, "display.updated", await displayFeed(em, ctx.config.auth.jwtSecret, clinicId)]);
  }
  // Issued back to back on one Redis connection, so Redis numbers them in this order.
  const results = await Promise.allSettled(messages.map(([topic, type, data]) => ctx.events.publish(topic, type, data)));
  const failed = results.filter((result) => result.status === "rejected");
  if (failed.length > 0) ctx.log.error({ err: (failed[0] as PromiseRejectedResult).reason as unknown, failed: failed.length }, "queue events not published; clients will resync");
}

const UUID = "([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})";

/** The room every socket of one display token sits in (not a topic: nobody can subscribe to it). */
export const displayTokenRoom = (tokenId: string) => `display-token:${tokenId}`;

const asUser = (principal: Principal): UserPrincipal | null =>
  principal.kind === "user" && typeof principal.userId === "string" ? (principal as UserPrincipal) : null;

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

  // display:{clinicId} — a display token of that clinic, the clinic's staff, the platform. Anonymised.
  realtime.registerTopic({
    pattern: new RegExp(`^display:${UUID}$`, "i"),
    async authorize(principal, _topic, match) {
      const clinicId = match[1]!.toLowerCase();
      if (isDisplayPrincipal(principal)) return principal.clinicId === clinicId && isDisplayTokenLive(em(), principal.id);
      const user = asUser(principal);
      if (!user || !can(user, "clinic.display.read", { clinicId })) return false;
      return (await em().count(Clinic, { id: clinicId })) > 0;
    },
    // One room per clinic whatever the case of the id in the request, so events reach everyone.
    room: (_principal, _topic, match) => `display:${match[1]!.toLowerCase()}`,
    snapshot: (_principal, _room, match) => displayFeed(em(), ctx.config.auth.jwtSecret, match[1]!.toLowerCase()),
  });
}
