/**
 * Availability rules, their preview, the staff slot view, templates, cloning and overbooking
 * (docs/scheduling.md). Each handler: validation (zod), the guard, one service call; the services
 * record their slot changes as domain events in their transactions (slot-events.ts).
 */
import type { FastifyPluginAsync } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import {
  applyTemplateReplySchema,
  applyTemplateRequestSchema,
  availabilityPreviewSchema,
  availabilityRuleDeleteReplySchema,
  availabilityRuleListSchema,
  availabilityRuleWriteReplySchema,
  cloneSlotsReplySchema,
  cloneSlotsRequestSchema,
  createAvailabilityRuleRequestSchema,
  createOverbookingPolicyRequestSchema,
  createTemplateRequestSchema,
  doctorContractRequestSchema,
  doctorSlotsQuerySchema,
  idParams,
  overbookingPolicySchema,
  overbookRequestSchema,
  previewAvailabilityRuleRequestSchema,
  scheduleTemplateListSchema,
  scheduleTemplateSchema,
  staffSlotListSchema,
  staffSlotSchema,
  updateAvailabilityRuleRequestSchema,
  weeklyHoursSchema,
} from "@clinic/shared";
import type { ModuleContext } from "../../platform/module";
import { actorOf } from "../../platform/audit";
import { authorize, can, requireUser } from "../identity";
import { createRule, deleteRule, findRule, listRules, previewRule, updateRule } from "./availability-rule.service";
import { createOverbookingPolicy, listOverbookingPolicies, overbook } from "./overbooking.service";
import { listDoctorSlots } from "./slot-read.service";
import { doctorContract, setDoctorContract } from "./contract.service";
import { applyTemplate, cloneSlots, createTemplate, findTemplate, listTemplates } from "./template.service";

const tags = ["scheduling"];

export function availabilityRoutes(ctx: ModuleContext): FastifyPluginAsync {
  return async (plugin) => {
    const app = plugin.withTypeProvider<ZodTypeProvider>();
    const em = () => ctx.orm.em;
    const settings = () => ({ horizonDays: ctx.config.scheduling.horizonDays });

    app.post(
      "/doctors/:doctorId/availability-rules",
      {
        schema: {
          tags,
          summary: "Add an availability rule and materialise its slots up to the horizon (schedule.manage)",
          params: idParams("doctorId"),
          body: createAvailabilityRuleRequestSchema,
          response: { 201: availabilityRuleWriteReplySchema },
        },
      },
      async (request, reply) => {
        const { doctorId } = request.params;
        authorize(requireUser(request), "schedule.manage", { clinicId: request.body.clinicId, doctorId });
        const { reply: created } = await createRule(em(), actorOf(request), doctorId, request.body, settings());
        return reply.code(201).send(created);
      },
    );

    app.get(
      "/clinics/:clinicId/doctors/:doctorId/contract",
      {
        schema: {
          tags,
          summary: "A doctor's employment type and weekly hours cap, with the hours their rules give each week (schedule.internal.read)",
          params: idParams("clinicId", "doctorId"),
          response: { 200: weeklyHoursSchema },
        },
      },
      async (request) => {
        const { clinicId, doctorId } = request.params;
        authorize(requireUser(request), "schedule.internal.read", { clinicId, doctorId });
        return doctorContract(em().fork(), doctorId, clinicId, settings());
      },
    );

    app.put(
      "/clinics/:clinicId/doctors/:doctorId/contract",
      {
        schema: {
          tags,
          summary: "Set a doctor's employment type and weekly hours cap (an admin of a clinic where they work); refused when their rules already break it",
          params: idParams("clinicId", "doctorId"),
          body: doctorContractRequestSchema,
          response: { 200: weeklyHoursSchema },
        },
      },
      async (request) => {
        const { clinicId, doctorId } = request.params;
        authorize(requireUser(request), "doctor.contract.manage", { clinicId, doctorId });
        return setDoctorContract(em().fork(), actorOf(request), doctorId, clinicId, request.body, settings());
      },
    );

    app.post(
      "/doctors/:doctorId/availability-rules/preview",
      {
        schema: {
          tags,
          summary: "What a new or changed rule would produce and clash with; writes nothing (schedule.manage)",
          params: idParams("doctorId"),
          body: previewAvailabilityRuleRequestSchema,
          response: { 200: availabilityPreviewSchema },
        },
      },
      async (request) => {
        const { doctorId } = request.params;
        authorize(requireUser(request), "schedule.manage", { clinicId: request.body.clinicId, doctorId });
        return previewRule(em(), doctorId, request.body, settings());
      },
    );

    app.get(
      "/doctors/:doctorId/availability-rules",
      {
        schema: {
          tags,
          summary: "A doctor's rules (schedule.internal.read; without clinicId, those at clinics the caller may read)",
          params: idParams("doctorId"),
          querystring: z.strictObject({ clinicId: z.uuid().optional() }),
          response: { 200: availabilityRuleListSchema },
        },
      },
      async (request) => {
        const principal = requireUser(request);
        const { doctorId } = request.params;
        const { clinicId } = request.query;
        if (clinicId) {
          authorize(principal, "schedule.internal.read", { clinicId, doctorId });
          return { items: await listRules(em(), doctorId, [clinicId]) };
        }
        const items = await listRules(em(), doctorId, null);
        return { items: items.filter((rule) => can(principal, "schedule.internal.read", { clinicId: rule.clinicId, doctorId })) };
      },
    );

    app.patch(
      "/availability-rules/:ruleId",
      {
        schema: {
          tags,
          summary: "Change a rule; its future free slots are regenerated, held/booked ones reported (schedule.manage)",
          params: idParams("ruleId"),
          body: updateAvailabilityRuleRequestSchema,
          response: { 200: availabilityRuleWriteReplySchema },
        },
      },
      async (request) => {
        const rule = await findRule(em(), request.params.ruleId);
        authorize(requireUser(request), "schedule.manage", { clinicId: rule.clinic.id, doctorId: rule.doctor.id });
        const { reply } = await updateRule(em(), actorOf(request), rule.id, request.body, settings());
        return reply;
      },
    );

    app.delete(
      "/availability-rules/:ruleId",
      {
        schema: {
          tags,
          summary: "Delete a rule and its future free slots; held/booked ones stay and are reported (schedule.manage)",
          params: idParams("ruleId"),
          response: { 200: availabilityRuleDeleteReplySchema },
        },
      },
      async (request) => {
        const rule = await findRule(em(), request.params.ruleId);
        authorize(requireUser(request), "schedule.manage", { clinicId: rule.clinic.id, doctorId: rule.doctor.id });
        const { reply } = await deleteRule(em(), actorOf(request), rule.id, settings());
        return reply;
      },
    );

    app.get(
      "/doctors/:doctorId/slots",
      {
        schema: {
          tags,
          summary: "A doctor's slots at a clinic, staff view with blocked slots, notes and tags; at most 31 days (schedule.internal.read)",
          params: idParams("doctorId"),
          querystring: doctorSlotsQuerySchema,
          response: { 200: staffSlotListSchema },
        },
      },
      async (request) => {
        const { doctorId } = request.params;
        authorize(requireUser(request), "schedule.internal.read", { clinicId: request.query.clinicId, doctorId });
        return { items: await listDoctorSlots(em(), doctorId, request.query) };
      },
    );

    app.post(
      "/clinics/:clinicId/templates",
      {
        schema: {
          tags,
          summary: "Save a template from entries, or from a doctor's real day/week (clinic.schedule.manage)",
          params: idParams("clinicId"),
          body: createTemplateRequestSchema,
          response: { 201: scheduleTemplateSchema },
        },
      },
      async (request, reply) => {
        const { clinicId } = request.params;
        authorize(requireUser(request), "clinic.schedule.manage", { clinicId });
        return reply.code(201).send(await createTemplate(em(), actorOf(request), clinicId, request.body));
      },
    );

    app.get(
      "/clinics/:clinicId/templates",
      {
        schema: {
          tags,
          summary: "A clinic's templates (clinic.schedule.manage)",
          params: idParams("clinicId"),
          response: { 200: scheduleTemplateListSchema },
        },
      },
      async (request) => {
        const { clinicId } = request.params;
        authorize(requireUser(request), "clinic.schedule.manage", { clinicId });
        return { items: await listTemplates(em(), clinicId) };
      },
    );

    app.post(
      "/templates/:templateId/apply",
      {
        schema: {
          tags,
          summary: "Apply a template to a doctor for [from, to]: one rule per entry, materialised; dryRun: report and roll back (schedule.manage)",
          params: idParams("templateId"),
          body: applyTemplateRequestSchema,
          response: { 200: applyTemplateReplySchema, 201: applyTemplateReplySchema },
        },
      },
      async (request, reply) => {
        const template = await findTemplate(em(), request.params.templateId);
        authorize(requireUser(request), "schedule.manage", { clinicId: template.clinic.id, doctorId: request.body.doctorId });
        const { reply: applied } = await applyTemplate(em(), actorOf(request), template.id, request.body, settings());
        if (request.body.dryRun) return reply.code(200).send(applied);
        return reply.code(201).send(applied);
      },
    );

    app.post(
      "/doctors/:doctorId/slots/clone",
      {
        schema: {
          tags,
          summary: "Copy a day or week of a doctor's slots onto other days as ad-hoc slots; clashes skipped; dryRun: report and roll back (schedule.manage)",
          params: idParams("doctorId"),
          body: cloneSlotsRequestSchema,
          response: { 200: cloneSlotsReplySchema, 201: cloneSlotsReplySchema },
        },
      },
      async (request, reply) => {
        const { doctorId } = request.params;
        authorize(requireUser(request), "schedule.manage", { clinicId: request.body.clinicId, doctorId });
        const { reply: cloned } = await cloneSlots(em(), actorOf(request), doctorId, request.body, settings());
        if (request.body.dryRun) return reply.code(200).send(cloned);
        return reply.code(201).send(cloned);
      },
    );

    app.post(
      "/clinics/:clinicId/overbooking-policies",
      {
        schema: {
          tags,
          summary: "Allow overbooking of a doctor and/or service with a daily cap (clinic.schedule.manage)",
          params: idParams("clinicId"),
          body: createOverbookingPolicyRequestSchema,
          response: { 201: overbookingPolicySchema },
        },
      },
      async (request, reply) => {
        const { clinicId } = request.params;
        authorize(requireUser(request), "clinic.schedule.manage", { clinicId });
        return reply.code(201).send(await createOverbookingPolicy(em(), actorOf(request), clinicId, request.body));
      },
    );

    app.get(
      "/clinics/:clinicId/overbooking-policies",
      {
        schema: {
          tags,
          summary: "A clinic's overbooking policies (clinic.schedule.manage)",
          params: idParams("clinicId"),
          response: { 200: z.object({ items: z.array(overbookingPolicySchema) }) },
        },
      },
      async (request) => {
        const { clinicId } = request.params;
        authorize(requireUser(request), "clinic.schedule.manage", { clinicId });
        return { items: await listOverbookingPolicies(em(), clinicId) };
      },
    );

    app.post(
      "/doctors/:doctorId/slots/overbook",
      {
        schema: {
          tags,
          summary: "Create an overbooked slot under a policy and its daily cap (schedule.manage)",
          params: idParams("doctorId"),
          body: overbookRequestSchema,
          response: { 201: staffSlotSchema },
        },
      },
      async (request, reply) => {
        const { doctorId } = request.params;
        authorize(requireUser(request), "schedule.manage", { clinicId: request.body.clinicId, doctorId });
        const { reply: slot } = await overbook(em(), actorOf(request), doctorId, request.body);
        return reply.code(201).send(slot);
      },
    );
  };
}
