/** /users/:userId/activate|deactivate: platform admins switch accounts on and off. */
import type { FastifyPluginAsync } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { accountStatusSchema, idParams } from "@clinic/shared";
import type { ModuleContext } from "../../platform/module";
import { actorOf } from "../../platform/audit";
import { authorize, requireUser } from "../identity";
import { setAccountStatus } from "./account.service";

export function accountRoutes(ctx: ModuleContext): FastifyPluginAsync {
  return async (plugin) => {
    const app = plugin.withTypeProvider<ZodTypeProvider>();
    for (const [action, active] of [
      ["deactivate", false],
      ["activate", true],
    ] as const) {
      app.post(
        `/users/:userId/${action}`,
        {
          schema: {
            tags: ["directory"],
            summary:
              action === "deactivate"
                ? "Deactivate an account and revoke its sessions (platform admin)"
                : "Reactivate an account (platform admin)",
            params: idParams("userId"),
            response: { 200: accountStatusSchema },
          },
        },
        async (request) => {
          authorize(requireUser(request), "user.status.manage", { userId: request.params.userId });
          return setAccountStatus(ctx.orm.em, actorOf(request), request.params.userId, active);
        },
      );
    }
  };
}
