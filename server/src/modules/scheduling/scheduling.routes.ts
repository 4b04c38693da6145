import type { FastifyPluginAsync } from "fastify";
import type { ModuleContext } from "../../platform/module";
import { availabilityRoutes } from "./availability.routes";
import { operationsRoutes } from "./operations.routes";
import { searchRoutes } from "./search.routes";

/** The scheduling module: availability and slots, time off and bulk operations, search and elastic blocks. */
export function schedulingRoutes(ctx: ModuleContext): FastifyPluginAsync {
  return async (app) => {
    await app.register(availabilityRoutes(ctx));
    await app.register(operationsRoutes(ctx));
    await app.register(searchRoutes(ctx));
  };
}
