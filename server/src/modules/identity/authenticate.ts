import type { FastifyInstance, FastifyRequest } from "fastify";
import { RequestContext } from "@mikro-orm/core";
import type { EntityManager } from "@mikro-orm/postgresql";
import { DISPLAY_TOKEN_PREFIX } from "@clinic/shared";
import { unauthenticated } from "../../platform/errors";
import { principalFromToken, type UserPrincipal } from "./principal";

declare module "fastify" {
  interface FastifyRequest {
    /** The signed-in user, or null for anonymous requests. */
    principal: UserPrincipal | null;
  }
  interface FastifyContextConfig {
    /**
     * The route also accepts a display token (`Bearer dsp_…`): this hook leaves such a header to
     * the route, which checks it itself. Only GET /clinics/:clinicId/display sets it.
     */
    acceptsDisplayToken?: boolean;
  }
}

/** Reads `Authorization: Bearer <access token>` on every request; a bad token is a 401, none is anonymous. */
export function registerAuthentication(app: FastifyInstance, jwtSecret: string): void {
  app.decorateRequest("principal", null);
  app.addHook("preValidation", async (request) => {
    const header = request.headers.authorization;
    if (!header) return;
    const token = /^Bearer (\S+)$/i.exec(header)?.[1];
    if (token?.startsWith(DISPLAY_TOKEN_PREFIX) && request.routeOptions.config.acceptsDisplayToken === true) return;
    const em = RequestContext.getEntityManager() as EntityManager;
    const principal = token ? await principalFromToken(em, jwtSecret, token) : null;
    if (!principal) throw unauthenticated("UNAUTHENTICATED", "The access token is missing, invalid, expired or revoked");
    request.principal = principal;
  });
}

/** The signed-in user, or 401. */
export function requireUser(request: FastifyRequest): UserPrincipal {
  if (!request.principal) throw unauthenticated("UNAUTHENTICATED");
  return request.principal;
}
