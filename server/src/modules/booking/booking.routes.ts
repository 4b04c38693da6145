import type { FastifyPluginAsync } from "fastify";
import type { ModuleContext } from "../../platform/module";

export function bookingRoutes(_ctx: ModuleContext): FastifyPluginAsync {
  return async () => undefined;
}
