import type { FastifyPluginAsync } from "fastify";
import type { ModuleContext } from "../../platform/module";

export function availabilityRoutes(_ctx: ModuleContext): FastifyPluginAsync {
  return async () => undefined;
}
