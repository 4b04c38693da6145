/** POST /clinics/:clinicId/handovers{/preview} (docs/handover.md); the guard: `appointments.handover` for the giving doctor. */
import type { FastifyPluginAsync } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { handoverPreviewRequestSchema, handoverPreviewSchema, handoverReplySchema, handoverRequestSchema, idParams } from "@clinic/shared";
import type { ModuleContext } from "../../platform/module";
import { actorOf } from "../../platform/audit";
import { authorize, requireUser } from "../identity";
import { DelegationService } from "./delegation.service";

const tags = ["handover"];

export function handoverRoutes(ctx: ModuleContext): FastifyPluginAsync {
  return async (plugin) => {
    const app = plugin.withTypeProvider<ZodTypeProvider>();
    const delegation = new DelegationService(ctx);

    app.post(
      "/clinics/:clinicId/handovers/preview",
      {
        schema: {
          tags,
          summary: "Which of a doctor's appointments in a date range would move to a colleague, and how (a free slot, overbooked, or stays); writes nothing",
          params: idParams("clinicId"),
          body: handoverPreviewRequestSchema,
          response: { 200: handoverPreviewSchema },
        },
      },
      async (request) => {
        const { clinicId } = request.params;
        authorize(requireUser(request), "appointments.handover", { clinicId, doctorId: request.body.fromDoctorId });
        return delegation.preview(clinicId, request.body);
      },
    );

    app.post(
      "/clinics/:clinicId/handovers",
      {
        schema: {
          tags,
          summary: "Hand a doctor's appointments in a date range to a colleague at the clinic, with a reason (audited; patients are told)",
          params: idParams("clinicId"),
          body: handoverRequestSchema,
          response: { 200: handoverReplySchema },
        },
      },
      async (request) => {
        const { clinicId } = request.params;
        authorize(requireUser(request), "appointments.handover", { clinicId, doctorId: request.body.fromDoctorId });
        return delegation.apply(actorOf(request), clinicId, request.body);
      },
    );
  };
}
