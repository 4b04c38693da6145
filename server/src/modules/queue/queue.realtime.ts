/**
 * The queue module's socket side: the `display:{clinicId}` topic (waiting-room screens and the
 * clinic's staff), and the plumbing that keeps display-token sockets on a short leash: each joins
 * the room `display-token:{id}`, so revoking the token disconnects it on every node.
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import { SOCKET_EVENTS, localDateOf, type DisplaySnapshot } from "@clinic/shared";
import type { ModuleContext } from "../../platform/module";
import type { Principal, Realtime } from "../../platform/realtime";
import { Clinic } from "../directory/clinic.entity";
import { can } from "../identity/access";
import type { UserPrincipal } from "../identity/principal";
import { isDisplayPrincipal, isDisplayTokenLive } from "./display-token.service";

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

/** What a screen shows first. Today: the clinic and its date; the live queue arrives with its issue. */
export async function displaySnapshot(em: EntityManager, clinicId: string, now = new Date()): Promise<DisplaySnapshot> {
  const clinic = await em.findOneOrFail(Clinic, { id: clinicId }, { fields: ["id", "name", "timeZone"] });
  return {
    clinic: { id: clinic.id, name: clinic.name, timeZone: clinic.timeZone },
    date: localDateOf(now, clinic.timeZone),
  };
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
    snapshot: (_principal, _room, match) => displaySnapshot(em(), match[1]!.toLowerCase()),
  });
}
