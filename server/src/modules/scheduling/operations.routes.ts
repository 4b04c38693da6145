/**
 * Scheduling operations: time off and clinic closures, bulk slot changes, CSV/iCalendar import and
 * the iCalendar/CSV export. Validation, guard, one service call each; the services record their
 * slot changes as domain events in their transactions (slot.store.ts).
 */
import type { FastifyPluginAsync } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import type { EntityManager } from "@mikro-orm/postgresql";
import {
  bulkSlotsRequestSchema,
  bulkSlotsResultSchema,
  createClosureRequestSchema,
  createUnavailabilityRequestSchema,
  deleteUnavailabilityResultSchema,
  exportQuerySchema,
  idParams,
  importQuerySchema,
  importResultSchema,
  unavailabilityListSchema,
  unavailabilityRangeQuerySchema,
  unavailabilityResultSchema,
} from "@clinic/shared";
import { z } from "zod";
import type { ModuleContext } from "../../platform/module";
import { forbidden } from "../../platform/errors";
import { actorOf } from "../../platform/audit";
import { authorize, can, requireUser, type UserPrincipal } from "../identity";
import { bulkSlots } from "./bulk.service";
import { exportCsv, exportIcs } from "./export.service";
import { importSlots } from "./import.service";
import { loadClinic, loadDoctor, requireWorksAt, type DoctorFacts } from "./slot-rows";
import {
  createClosure,
  createDoctorUnavailability,
  deleteUnavailability,
  findUnavailability,
  listClosures,
  listDoctorUnavailability,
} from "./unavailability.service";

const tags = ["scheduling"];
export const IMPORT_BODY_LIMIT = 1024 * 1024;

/**
 * Time off at every clinic of a doctor: the doctor themself, a platform admin, or someone allowed to
 * manage the doctor's schedule at each of the doctor's clinics.
 */
function authorizeAllClinics(principal: UserPrincipal, doctor: DoctorFacts): void {
  if (principal.role === "platform_admin" || principal.doctorId === doctor.id) return;
  if (doctor.clinicIds.length === 0) throw forbidden("Not allowed: schedule.manage");
  for (const clinicId of doctor.clinicIds) authorize(principal, "schedule.manage", { clinicId, doctorId: doctor.id });
}

export function operationsRoutes(ctx: ModuleContext): FastifyPluginAsync {
  return async (plugin) => {
    const app = plugin.withTypeProvider<ZodTypeProvider>();
    const em = () => ctx.orm.em as EntityManager;

    // Import bodies arrive as raw text (this plugin's routes only).
    app.addContentTypeParser(["text/csv", "text/calendar"], { parseAs: "string", bodyLimit: IMPORT_BODY_LIMIT }, (_request, body, done) =>
      done(null, body),
    );

    // ------------------------------------------------------------ time off

    app.post(
      "/doctors/:doctorId/unavailability",
      {
        schema: {
          tags,
          summary: "Time off: blocks the doctor's free slots in range; reports (or with autoCancel releases) held/booked ones",
          params: idParams("doctorId"),
          body: createUnavailabilityRequestSchema,
          response: { 200: unavailabilityResultSchema, 201: unavailabilityResultSchema },
        },
      },
      async (request, reply) => {
        const principal = requireUser(request);
        const { doctorId } = request.params;
        const clinicId = request.body.clinicId ?? null;
        if (clinicId) authorize(principal, "schedule.manage", { clinicId, doctorId });
        const doctor = await loadDoctor(em(), doctorId);
        if (clinicId) requireWorksAt(doctor, clinicId);
        else authorizeAllClinics(principal, doctor);
        const result = await createDoctorUnavailability(em(), actorOf(request), doctorId, request.body, ctx.ports.leaveCancellations);
        return reply.code(result.dryRun ? 200 : 201).send(result);
      },
    );

    app.get(
      "/doctors/:doctorId/unavailability",
      {
        schema: {
          tags,
          summary: "The doctor's time off and the closures of its clinics overlapping [from, to)",
          params: idParams("doctorId"),
          querystring: unavailabilityRangeQuerySchema,
          response: { 200: unavailabilityListSchema },
        },
      },
      async (request) => {
        const principal = requireUser(request);
        const { doctorId } = request.params;
        const doctor = await loadDoctor(em(), doctorId);
        const everything = principal.role === "platform_admin" || principal.doctorId === doctorId;
        const visible = everything
          ? doctor.clinicIds
          : doctor.clinicIds.filter((clinicId) => can(principal, "schedule.internal.read", { clinicId, doctorId }));
        if (!everything && visible.length === 0) throw forbidden("Not allowed: schedule.internal.read");
        const items = await listDoctorUnavailability(em(), doctorId, doctor.clinicIds, request.query);
        return { items: items.filter((u) => u.clinicId === null || visible.includes(u.clinicId)) };
      },
    );

    app.delete(
      "/unavailability/:id",
      {
        schema: {
          tags,
          summary: "Remove time off or a closure; re-opens the future slots it blocked that nothing else covers",
          params: idParams("id"),
          response: { 200: deleteUnavailabilityResultSchema },
        },
      },
      async (request) => {
        const principal = requireUser(request);
        const target = await findUnavailability(em(), request.params.id);
        if (target.doctorId === null) authorize(principal, "clinic.schedule.manage", { clinicId: target.clinicId! });
        else if (target.clinicId) authorize(principal, "schedule.manage", { clinicId: target.clinicId, doctorId: target.doctorId });
        else authorizeAllClinics(principal, await loadDoctor(em(), target.doctorId));
        return deleteUnavailability(em(), actorOf(request), request.params.id);
      },
    );

    // ------------------------------------------------------------ clinic closures

    app.post(
      "/clinics/:clinicId/closures",
      {
        schema: {
          tags,
          summary: "A clinic holiday or closure: blocks every doctor's free slots at the clinic in range (clinic admin)",
          params: idParams("clinicId"),
          body: createClosureRequestSchema,
          response: { 200: unavailabilityResultSchema, 201: unavailabilityResultSchema },
        },
      },
      async (request, reply) => {
        const { clinicId } = request.params;
        authorize(requireUser(request), "clinic.schedule.manage", { clinicId });
        await loadClinic(em(), clinicId);
        const result = await createClosure(em(), actorOf(request), clinicId, request.body, ctx.ports.leaveCancellations);
        return reply.code(result.dryRun ? 200 : 201).send(result);
      },
    );

    app.get(
      "/clinics/:clinicId/closures",
      {
        schema: {
          tags,
          summary: "A clinic's holidays and closures overlapping [from, to) (its staff)",
          params: idParams("clinicId"),
          querystring: unavailabilityRangeQuerySchema,
          response: { 200: unavailabilityListSchema },
        },
      },
      async (request) => {
        const { clinicId } = request.params;
        authorize(requireUser(request), "schedule.internal.read", { clinicId });
        await loadClinic(em(), clinicId);
        return { items: await listClosures(em(), clinicId, request.query) };
      },
    );

    // ------------------------------------------------------------ bulk

    app.post(
      "/doctors/:doctorId/slots/bulk",
      {
        schema: {
          tags,
          summary: "Resize, delete or block the doctor's free slots at a clinic over a range, in one transaction (dryRun: report only)",
          params: idParams("doctorId"),
          body: bulkSlotsRequestSchema,
          response: { 200: bulkSlotsResultSchema },
        },
      },
      async (request) => {
        const { doctorId } = request.params;
        authorize(requireUser(request), "schedule.manage", { clinicId: request.body.clinicId, doctorId });
        requireWorksAt(await loadDoctor(em(), doctorId), request.body.clinicId);
        return (await bulkSlots(em(), actorOf(request), doctorId, request.body)).reply;
      },
    );

    // ------------------------------------------------------------ import and export

    app.post(
      "/doctors/:doctorId/slots/import",
      {
        bodyLimit: IMPORT_BODY_LIMIT,
        schema: {
          tags,
          summary: "Import slots from a CSV (text/csv) or iCalendar (text/calendar) body; all or nothing unless skipBadRows=true",
          params: idParams("doctorId"),
          querystring: importQuerySchema,
          body: z.string(),
          response: { 200: importResultSchema },
        },
      },
      async (request) => {
        const { doctorId } = request.params;
        const { clinicId, format, skipBadRows, dryRun } = request.query;
        authorize(requireUser(request), "schedule.manage", { clinicId, doctorId });
        const { reply } = await importSlots(em(), actorOf(request), doctorId, {
          clinicId,
          format,
          skipBadRows: skipBadRows === "true",
          body: request.body,
          dryRun: dryRun === "true",
        });
        return reply;
      },
    );

    app.get(
      "/doctors/:doctorId/schedule.ics",
      {
        schema: {
          tags,
          summary: "The doctor's slots at a clinic as an iCalendar feed (default: the next 90 days)",
          params: idParams("doctorId"),
          querystring: exportQuerySchema,
        },
      },
      async (request, reply) => {
        const { doctorId } = request.params;
        authorize(requireUser(request), "schedule.manage", { clinicId: request.query.clinicId, doctorId });
        const body = await exportIcs(em(), doctorId, request.query);
        return reply.type("text/calendar; charset=utf-8").header("content-disposition", 'attachment; filename="schedule.ics"').send(body);
      },
    );

    app.get(
      "/doctors/:doctorId/schedule.csv",
      {
        schema: {
          tags,
          summary: "The doctor's slots at a clinic as CSV in the clinic's wall-clock time (the import's columns)",
          params: idParams("doctorId"),
          querystring: exportQuerySchema,
        },
      },
      async (request, reply) => {
        const { doctorId } = request.params;
        authorize(requireUser(request), "schedule.manage", { clinicId: request.query.clinicId, doctorId });
        const body = await exportCsv(em(), doctorId, request.query);
        return reply.type("text/csv; charset=utf-8").header("content-disposition", 'attachment; filename="schedule.csv"').send(body);
      },
    );
  };
}
