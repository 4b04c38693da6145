import type { FastifyPluginAsync } from "fastify";
import type { ModuleContext } from "../../platform/module";

export function searchRoutes(_ctx: ModuleContext): FastifyPluginAsync {
  return async () => undefined;
}
