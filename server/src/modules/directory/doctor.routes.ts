/** /doctors: public search and profiles; profile, credentials, approval and clinic associations. */
import type { FastifyPluginAsync } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import {
  approveDoctorRequestSchema,
  doctorApprovalQuerySchema,
  doctorClinicsSchema,
  doctorListSchema,
  doctorPageSchema,
  doctorSchema,
  doctorSearchQuerySchema,
  idParams,
  rejectDoctorRequestSchema,
  submitCredentialsRequestSchema,
  updateDoctorProfileRequestSchema,
} from "@clinic/shared";
import type { ModuleContext } from "../../platform/module";
import { actorOf } from "../../platform/audit";
import { authorize, can, requireUser } from "../identity";
import { searchDoctors } from "./doctor-search.service";
import {
  approveDoctor,
  doctorScope,
  getDoctor,
  listDoctorsByApproval,
  rejectDoctor,
  setDoctorClinic,
  submitCredentials,
  updateDoctorProfile,
} from "./doctor.service";
import { notFound } from "../../platform/errors";

const tags = ["directory"];
const doctorParams = idParams("doctorId");

export function doctorRoutes(ctx: ModuleContext): FastifyPluginAsync {
  return async (plugin) => {
    const app = plugin.withTypeProvider<ZodTypeProvider>();
    const em = () => ctx.orm.em;

    app.get(
      "/doctors",
      {
        schema: {
          tags,
          summary: "Search listed doctors (public); keyset pages ordered by name",
          querystring: doctorSearchQuerySchema,
          response: { 200: doctorPageSchema },
        },
      },
      async (request) => searchDoctors(em(), request.query),
    );

    app.get(
      "/doctors/:doctorId",
      {
        schema: {
          tags,
          summary: "A doctor's profile (public when listed; otherwise the doctor, their clinics' staff, platform admins)",
          params: doctorParams,
          response: { 200: doctorSchema },
        },
      },
      async (request) => {
        const doctor = await getDoctor(em(), request.params.doctorId);
        const principal = request.principal;
        const insider =
          principal !== null &&
          can(principal, "doctor.unlisted.read", {
            doctorId: doctor.id,
            doctorClinicIds: doctor.clinics.map((clinic) => clinic.id),
          });
        if (!doctor.listed && !insider) throw notFound("Doctor");
        if (insider) return doctor;
        const { approval: _approval, ...publicView } = doctor;
        return publicView;
      },
    );

    app.patch(
      "/doctors/:doctorId/profile",
      {
        schema: {
          tags,
          summary: "Change a doctor's profile (the doctor or platform admin)",
          params: doctorParams,
          body: updateDoctorProfileRequestSchema,
          response: { 200: doctorSchema },
        },
      },
      async (request) => {
        authorize(requireUser(request), "doctor.profile.update", { doctorId: request.params.doctorId });
        return updateDoctorProfile(em(), actorOf(request), request.params.doctorId, request.body);
      },
    );

    app.post(
      "/doctors/:doctorId/credentials",
      {
        schema: {
          tags,
          summary: "Submit registration credentials for review (the doctor); a rejected doctor returns to pending",
          params: doctorParams,
          body: submitCredentialsRequestSchema,
          response: { 200: doctorSchema },
        },
      },
      async (request) => {
        authorize(requireUser(request), "doctor.credentials.submit", { doctorId: request.params.doctorId });
        return submitCredentials(em(), actorOf(request), request.params.doctorId, request.body);
      },
    );

    app.get(
      "/doctor-approvals",
      {
        schema: {
          tags,
          summary: "Doctors by approval status, default pending, oldest first (platform admin)",
          querystring: doctorApprovalQuerySchema,
          response: { 200: doctorListSchema },
        },
      },
      async (request) => {
        authorize(requireUser(request), "doctor.approve", {});
        return { items: await listDoctorsByApproval(em(), request.query.status) };
      },
    );

    app.post(
      "/doctors/:doctorId/approve",
      {
        schema: {
          tags,
          summary: "Approve a doctor with submitted credentials (platform admin)",
          params: doctorParams,
          body: approveDoctorRequestSchema.nullish(),
          response: { 200: doctorSchema },
        },
      },
      async (request) => {
        authorize(requireUser(request), "doctor.approve", { doctorId: request.params.doctorId });
        return approveDoctor(em(), actorOf(request), request.params.doctorId, request.body?.note);
      },
    );

    app.post(
      "/doctors/:doctorId/reject",
      {
        schema: {
          tags,
          summary: "Reject a doctor, or withdraw an approval, with a note (platform admin)",
          params: doctorParams,
          body: rejectDoctorRequestSchema,
          response: { 200: doctorSchema },
        },
      },
      async (request) => {
        authorize(requireUser(request), "doctor.approve", { doctorId: request.params.doctorId });
        return rejectDoctor(em(), actorOf(request), request.params.doctorId, request.body.note);
      },
    );

    for (const [method, member] of [
      ["PUT", true],
      ["DELETE", false],
    ] as const) {
      app.route({
        method,
        url: "/doctors/:doctorId/clinics/:clinicId",
        schema: {
          tags,
          summary: member
            ? "Associate a doctor with a clinic (that clinic's admin or platform admin; idempotent)"
            : "End a doctor's association with a clinic (that clinic's admin or platform admin)",
          params: idParams("doctorId", "clinicId"),
          response: { 200: doctorClinicsSchema },
        },
        handler: async (request) => {
          const { doctorId, clinicId } = request.params;
          authorize(requireUser(request), "doctor.clinics.manage", { clinicId, ...(await doctorScope(em(), doctorId)) });
          return setDoctorClinic(em(), actorOf(request), doctorId, clinicId, member);
        },
      });
    }
  };
}
