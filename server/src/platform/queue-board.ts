/**
 * The queue dashboard (docs/operations.md, "Queue dashboard"): Bull Board at /admin/queues over every
 * queue of the runtime, read-only, for platform admins.
 *
 * A browser page cannot send our bearer token, so `POST /api/v1/admin/queues/session` (bearer, platform
 * admin) sets a short-lived HttpOnly, SameSite=Strict cookie scoped to /admin/queues. Its value is a
 * token signed by identity's access-token code under a key derived for this purpose only, so it opens
 * the board and nothing else, and it names the session: logging out or losing the role closes the
 * board at once, as with access tokens.
 */
import { createBullBoard } from "@bull-board/api";
import { BullMQAdapter } from "@bull-board/api/bullMQAdapter";
import { FastifyAdapter } from "@bull-board/fastify";
import type { EntityManager } from "@mikro-orm/postgresql";
import type { FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import type { Config } from "../config";
import { actorOf, recordAudit } from "./audit";
import { authorize, can } from "../modules/identity/access";
import { requireUser } from "../modules/identity/authenticate";
import { principalFromToken } from "../modules/identity/principal";
import { ACCESS_TOKEN_TTL_SECONDS, signAccessToken } from "../modules/identity/tokens";
import type { Orm } from "./db";
import { API_PREFIX, type HttpApp } from "./http";
import { problem, sendProblem } from "./problem";
import type { Queues } from "./queues";

export const QUEUE_BOARD_PATH = "/admin/queues";
export const QUEUE_BOARD_COOKIE = "cl_queue_board";

/** Board tokens are not access tokens: a key of their own, so neither verifies as the other. */
const boardKey = (config: Config) => `${config.auth.jwtSecret}:queue-board`;

function cookieValue(request: FastifyRequest, name: string): string | null {
  for (const part of (request.headers.cookie ?? "").split(";")) {
    const [key, ...rest] = part.trim().split("=");
    if (key === name) return decodeURIComponent(rest.join("="));
  }
  return null;
}

export async function registerQueueBoard(http: HttpApp, deps: { config: Config; orm: Orm; queues: Queues }): Promise<void> {
  const { config, orm, queues } = deps;
  const secure = config.isProduction || (config.http.publicUrl?.startsWith("https:") ?? false);

  http.post(
    `${API_PREFIX}/admin/queues/session`,
    {
      schema: {
        tags: ["operations"],
        summary: "Open the queue dashboard: sets a short-lived cookie for /admin/queues (platform admins)",
        response: { 204: z.null().describe("Cookie set") },
      },
    },
    async (request, reply) => {
      const principal = requireUser(request);
      authorize(principal, "queues.board");
      const token = signAccessToken(boardKey(config), { sub: principal.userId, sid: principal.sessionId, role: principal.role });
      const em = orm.em.fork() as EntityManager;
      recordAudit(em, actorOf(request), { action: "operations.queue-board.open", entityType: "QueueBoard" });
      await em.flush();
      const attributes = [`Path=${QUEUE_BOARD_PATH}`, `Max-Age=${ACCESS_TOKEN_TTL_SECONDS}`, "HttpOnly", "SameSite=Strict", ...(secure ? ["Secure"] : [])];
      reply.header("set-cookie", `${QUEUE_BOARD_COOKIE}=${token}; ${attributes.join("; ")}`);
      return reply.code(204).send(null);
    },
  );

  // Every board request, page, assets and its JSON API alike, needs a platform admin's cookie.
  const guard = async (request: FastifyRequest, reply: FastifyReply) => {
    const token = cookieValue(request, QUEUE_BOARD_COOKIE);
    const principal = token ? await principalFromToken(orm.em.fork() as EntityManager, boardKey(config), token) : null;
    if (!principal) return sendProblem(reply, problem(401, "UNAUTHENTICATED", `Open the dashboard through POST ${API_PREFIX}/admin/queues/session`));
    if (!can(principal, "queues.board")) return sendProblem(reply, problem(403, "FORBIDDEN", "Not allowed: queues.board"));
    // Read-only whatever the board's own checks say: job changes from here would bypass the audit log.
    if (request.method !== "GET" && request.method !== "HEAD") return sendProblem(reply, problem(405, "READ_ONLY", "The queue dashboard is read-only"));
  };

  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(QUEUE_BOARD_PATH);
  createBullBoard({
    queues: queues.all().map((queue) => new BullMQAdapter(queue, { readOnlyMode: true })),
    // @bull-board/fastify pins its own copy of @bull-board/api; the shapes match, the declarations differ.
    serverAdapter: serverAdapter as unknown as Parameters<typeof createBullBoard>[0]["serverAdapter"],
    options: { uiConfig: { boardTitle: "Clinic Live queues" } },
  });
  await http.register(async (scope) => {
    scope.addHook("onRequest", guard);
    await scope.register(serverAdapter.registerPlugin(), { prefix: QUEUE_BOARD_PATH });
  });
}
