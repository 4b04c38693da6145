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
import type { FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import type { Config } from "../config";
import { API_PREFIX, type HttpApp } from "./http";
import { problem, sendProblem } from "./problem";
import type { Queues } from "./queues";

export const QUEUE_BOARD_PATH = "/admin/queues";
export const QUEUE_BOARD_COOKIE = "cl_queue_board";

/** How the board knows a platform admin: a port the identity module provides (`Ports.boardAccess`). */
export interface BoardAccess {
  /** The signed-in platform admin's board token for the cookie (records the opening); throws 401/403 otherwise. */
  issue(request: FastifyRequest): Promise<string>;
  /** Whether the token's holder may (still) see the board. */
  check(token: string): Promise<"allowed" | "unauthenticated" | "forbidden">;
  /** How long a board token lives. */
  ttlSeconds: number;
}

declare module "./module" {
  interface Ports {
    boardAccess: BoardAccess;
  }
}

function cookieValue(request: FastifyRequest, name: string): string | null {
  for (const part of (request.headers.cookie ?? "").split(";")) {
    const [key, ...rest] = part.trim().split("=");
    if (key === name) return decodeURIComponent(rest.join("="));
  }
  return null;
}

export async function registerQueueBoard(http: HttpApp, deps: { config: Config; queues: Queues; access: BoardAccess }): Promise<void> {
  const { config, queues, access } = deps;
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
      const token = await access.issue(request);
      const attributes = [`Path=${QUEUE_BOARD_PATH}`, `Max-Age=${access.ttlSeconds}`, "HttpOnly", "SameSite=Strict", ...(secure ? ["Secure"] : [])];
      reply.header("set-cookie", `${QUEUE_BOARD_COOKIE}=${token}; ${attributes.join("; ")}`);
      return reply.code(204).send(null);
    },
  );

  // Every board request, page, assets and its JSON API alike, needs a platform admin's cookie.
  const guard = async (request: FastifyRequest, reply: FastifyReply) => {
    const token = cookieValue(request, QUEUE_BOARD_COOKIE);
    const verdict = token ? await access.check(token) : "unauthenticated";
    if (verdict === "unauthenticated") return sendProblem(reply, problem(401, "UNAUTHENTICATED", `Open the dashboard through POST ${API_PREFIX}/admin/queues/session`));
    if (verdict === "forbidden") return sendProblem(reply, problem(403, "FORBIDDEN", "Not allowed: queues.board"));
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
