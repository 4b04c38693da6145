/**
 * A signed-in socket lives as long as its session (docs/realtime.md "Sign-out"): it joins its
 * session's room at connect, the gateway asks whether the session is still live after that join and
 * before every subscribe, and when a committed write revokes sessions (`session.revoked`: sign-out,
 * password change or reset, revocation, deactivation) their rooms are closed on every node.
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import type { ModuleContext } from "../../platform/module";
import type { Subscriber } from "../../platform/outbox";
import type { SocketGuard } from "../../platform/realtime";
import { asUser } from "./principal";

/** The room of every socket signed in with one session (not a topic: nobody can subscribe to it). */
export const sessionRoom = (sessionId: string) => `session:${sessionId}`;

/** Whether the session is live for its user: not revoked, not expired, the account active (as `principalFromToken`). */
async function isSessionLive(em: EntityManager, userId: string, sessionId: string): Promise<boolean> {
  const rows = await em.getConnection().execute<{ live: boolean }[]>(
    `select true as live from auth_session s join user_account u on u.id = s.user_id
      where s.id = ? and s.user_id = ? and s.revoked_at is null and s.expires_at > now() and u.status = 'active'`,
    [sessionId, userId],
  );
  return rows.length > 0;
}

export function sessionGuard(ctx: ModuleContext): SocketGuard {
  return {
    rooms: (principal) => {
      const user = asUser(principal);
      return user ? [sessionRoom(user.sessionId)] : [];
    },
    async isLive(principal) {
      const user = asUser(principal);
      return user ? isSessionLive(ctx.orm.em.fork() as EntityManager, user.userId, user.sessionId) : undefined;
    },
  };
}

/** Closes the revoked sessions' sockets on every node; a Redis failure is retried by the outbox. */
export function sessionSocketsSubscriber(ctx: ModuleContext): Subscriber {
  return {
    name: "session-sockets",
    wants: (name) => name === "session.revoked",
    async handle(events) {
      const rooms = events.flatMap((event) => (event.name === "session.revoked" ? event.data.sessionIds.map(sessionRoom) : []));
      await ctx.events.disconnect(rooms);
    },
  };
}
