/** /patients and /doctors/:doctorId/patients: profiles, tiers and doctor–patient relations. */
import type { FastifyPluginAsync } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import {
  createDoctorPatientRelationRequestSchema,
  doctorPatientRelationSchema,
  idParams,
  patientListSchema,
  patientSchema,
  quickPatientReplySchema,
  quickPatientSchema,
  updatePatientRequestSchema,
  updatePatientTierRequestSchema,
} from "@clinic/shared";
import type { ModuleContext } from "../../platform/module";
import { adminClinicAmong, authorize, requireUser, type UserPrincipal } from "../identity";
import { doctorScope } from "./doctor.service";
import {
  authorizePatientRead,
  listDoctorPatients,
  patientScope,
  readPatient,
  relate,
  relationScope,
  setPatientTier,
  unrelate,
  updatePatient,
} from "./patient.service";
import { notFound } from "../../platform/errors";
import { writeTransaction } from "../../platform/transactions";
import { actorOf, recordAudit } from "../../platform/audit";
import { findClinic } from "./clinic.service";
import { phoneTypedAt, quickPatient } from "./quick-patient";

const tags = ["directory"];

function ownPatientId(principal: UserPrincipal): string {
  if (!principal.patientId) throw notFound("Patient profile");
  return principal.patientId;
}

export function patientRoutes(ctx: ModuleContext): FastifyPluginAsync {
  return async (plugin) => {
    const app = plugin.withTypeProvider<ZodTypeProvider>();
    const em = () => ctx.orm.em;

    app.post(
      "/clinics/:clinicId/patients",
      {
        schema: {
          tags,
          summary: "The desk's patient on the phone: found by their number (typed as said, read in the clinic's country) or recorded with a name (clinic staff)",
          params: idParams("clinicId"),
          body: quickPatientSchema,
          response: { 200: quickPatientReplySchema, 201: quickPatientReplySchema },
        },
      },
      async (request, reply) => {
        const { clinicId } = request.params;
        authorize(requireUser(request), "clinic.appointments.manage", { clinicId });
        const clinic = await findClinic(em().fork(), clinicId);
        const phone = phoneTypedAt(clinic.phone ?? null, request.body.phone, "body.phone");
        const patient = await writeTransaction(em().fork(), async (tx) => {
          const found = await quickPatient(tx, { name: request.body.name, phone }, "body.phone");
          if (found.created) {
            recordAudit(tx, actorOf(request), { action: "patient.quick-record", entityType: "Patient", entityId: found.id, clinicId, after: { fullName: found.fullName, phone } });
          }
          return found;
        });
        return reply.code(patient.created ? 201 : 200).send({ ...patient, phone });
      },
    );

    app.get(
      "/patients/me",
      { schema: { tags, summary: "The signed-in patient's profile", response: { 200: patientSchema } } },
      async (request) => readPatient(em(), actorOf(request), ownPatientId(requireUser(request)), { audit: false }),
    );

    app.patch(
      "/patients/me",
      {
        schema: {
          tags,
          summary: "Change the signed-in patient's profile",
          body: updatePatientRequestSchema,
          response: { 200: patientSchema },
        },
      },
      async (request) => {
        const principal = requireUser(request);
        const patient = await patientScope(em(), ownPatientId(principal));
        authorize(principal, "patient.update", { patient }, { hide: "Patient" });
        return updatePatient(em(), actorOf(request), patient.id, request.body);
      },
    );

    app.get(
      "/patients/:patientId",
      {
        schema: {
          tags,
          summary: "A patient's profile (the patient, their doctors, staff of those doctors' clinics, platform admin; read is audited)",
          params: idParams("patientId"),
          response: { 200: patientSchema },
        },
      },
      async (request) => {
        const principal = requireUser(request);
        const patient = await authorizePatientRead(em(), principal, request.params.patientId);
        return readPatient(em(), actorOf(request), patient.id, { audit: principal.userId !== patient.userId });
      },
    );

    app.patch(
      "/patients/:patientId/tier",
      {
        schema: {
          tags,
          summary: "Set a patient's subscription tier (platform admin; audited)",
          params: idParams("patientId"),
          body: updatePatientTierRequestSchema,
          response: { 200: patientSchema },
        },
      },
      async (request) => {
        const principal = requireUser(request);
        // Someone who may not see the patient learns nothing, not even that it exists.
        const patient = await authorizePatientRead(em(), principal, request.params.patientId);
        authorize(principal, "patient.tier.update", { patient });
        return setPatientTier(em(), actorOf(request), patient.id, request.body.tier);
      },
    );

    app.get(
      "/doctors/:doctorId/patients",
      {
        schema: {
          tags,
          summary: "A doctor's related patients (the doctor, staff of the doctor's clinics, platform admin; audited)",
          params: idParams("doctorId"),
          response: { 200: patientListSchema },
        },
      },
      async (request) => {
        const principal = requireUser(request);
        const scope = await doctorScope(em(), request.params.doctorId);
        authorize(principal, "doctor.patients.read", scope);
        return { items: await listDoctorPatients(em(), actorOf(request), scope.doctorId, { audit: true }) };
      },
    );

    app.put(
      "/doctors/:doctorId/patients/:patientId",
      {
        schema: {
          tags,
          summary:
            "Relate a patient to a doctor, with a reason (a clinic admin of a clinic where the doctor works and the patient has booked, or the platform admin; audited; idempotent)",
          params: idParams("doctorId", "patientId"),
          body: createDoctorPatientRelationRequestSchema,
          response: { 200: doctorPatientRelationSchema, 201: doctorPatientRelationSchema },
        },
      },
      async (request, reply) => {
        const principal = requireUser(request);
        const { doctorId, patientId } = request.params;
        const scope = await relationScope(em(), doctorId, patientId);
        authorize(principal, "patient.relation.create", scope);
        const change = { doctorId, patientId, clinicId: adminClinicAmong(principal, scope.sharedClinicIds), reason: request.body.reason };
        const { created, ...relation } = await relate(em(), actorOf(request), change);
        return reply.code(created ? 201 : 200).send(relation);
      },
    );

    app.delete(
      "/doctors/:doctorId/patients/:patientId",
      {
        schema: {
          tags,
          summary: "End a doctor–patient relation (the doctor, a clinic admin of a clinic where both are known, the platform admin; audited)",
          params: idParams("doctorId", "patientId"),
          response: { 204: z.null().describe("Removed") },
        },
      },
      async (request, reply) => {
        const principal = requireUser(request);
        const { doctorId, patientId } = request.params;
        const scope = await relationScope(em(), doctorId, patientId);
        authorize(principal, "patient.relation.end", scope);
        await unrelate(em(), actorOf(request), { doctorId, patientId, clinicId: adminClinicAmong(principal, scope.sharedClinicIds) });
        return reply.code(204).send(null);
      },
    );
  };
}
