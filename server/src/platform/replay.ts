/**
 * Requests that run once more, on a fresh connection, when the database connection was lost under
 * them (docs/api.md, "When the database connection is lost"): GET and HEAD, which HTTP defines as
 * safe to repeat, and requests that carry an `Idempotency-Key` to a route that declares that header
 * (such a route stores its answer in the write's transaction, so a repeat after a commit whose
 * acknowledgement was lost replays that answer instead of writing twice). Any other request gets
 * the error, which the error handler answers with 503 and Retry-After.
 */
import type { FastifyInstance, RouteOptions } from "fastify";
import { RequestContext } from "@mikro-orm/core";
import { isConnectionLoss, pauseBeforeRetry, type Orm } from "./db";

const SAFE_METHODS = new Set(["GET", "HEAD"]);

function declaresIdempotencyKey(route: RouteOptions): boolean {
  const headers = route.schema?.headers as { shape?: Record<string, unknown> } | undefined;
  return headers?.shape?.["idempotency-key"] !== undefined;
}

/** An `onRoute` hook wrapping the handlers of the routes above. */
export function replayOnConnectionLoss(orm: Orm) {
  return (route: RouteOptions): void => {
    const keyed = declaresIdempotencyKey(route);
    if (!keyed && ![route.method].flat().some((method) => SAFE_METHODS.has(method))) return;
    const handler = route.handler;
    route.handler = function (this: FastifyInstance, request, reply) {
      const result: unknown = handler.call(this, request, reply);
      if (!(result instanceof Promise)) return result;
      return result.catch(async (error: unknown) => {
        const replayable = SAFE_METHODS.has(request.method) || (keyed && request.headers["idempotency-key"] !== undefined);
        if (!replayable || reply.sent || !isConnectionLoss(error)) throw error;
        request.log.warn({ err: error }, "database connection lost: running the request once more on a fresh connection");
        await pauseBeforeRetry();
        // A fresh identity map: nothing the failed attempt loaded or changed is reused.
        return RequestContext.create(orm.em, () => handler.call(this, request, reply));
      });
    };
  };
}
