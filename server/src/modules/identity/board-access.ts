/**
 * The queue dashboard's access (platform/queue-board.ts asks through `Ports.boardAccess`): a board
 * token is an access token signed under a key derived for this purpose only, so it opens the board
 * and nothing else, and it names the session: signing out or losing the role closes the board at once.
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import type { ModuleContext } from "../../platform/module";
import type { BoardAccess } from "../../platform/queue-board";
import { actorOf, recordAudit } from "../../platform/audit";
import { authorize, can } from "./access";
import { requireUser } from "./authenticate";
import { principalFromToken } from "./principal";
import { ACCESS_TOKEN_TTL_SECONDS, signAccessToken } from "./tokens";

export function boardAccess(ctx: ModuleContext): BoardAccess {
  /** Board tokens are not access tokens: a key of their own, so neither verifies as the other. */
  const key = `${ctx.config.auth.jwtSecret}:queue-board`;
  return {
    ttlSeconds: ACCESS_TOKEN_TTL_SECONDS,
    async issue(request) {
      const principal = requireUser(request);
      authorize(principal, "queues.board");
      const em = ctx.orm.em.fork() as EntityManager;
      recordAudit(em, actorOf(request), { action: "operations.queue-board.open", entityType: "QueueBoard" });
      await em.flush();
      return signAccessToken(key, { sub: principal.userId, sid: principal.sessionId, role: principal.role });
    },
    async check(token) {
      const principal = await principalFromToken(ctx.orm.em.fork() as EntityManager, key, token);
      if (!principal) return "unauthenticated";
      return can(principal, "queues.board") ? "allowed" : "forbidden";
    },
  };
}
