/** The directory module's HTTP routes: clinics, staff, specialties, doctors, patients, services, accounts. */
import type { FastifyPluginAsync } from "fastify";
import type { ModuleContext } from "../../platform/module";
import { accountRoutes } from "./account.routes";
import { clinicRoutes } from "./clinic.routes";
import { doctorDocumentRoutes } from "./doctor-documents.routes";
import { doctorRoutes } from "./doctor.routes";
import { membershipRoutes } from "./membership.routes";
import { patientRoutes } from "./patient.routes";
import { serviceRoutes } from "./service.routes";
import { specialtyRoutes } from "./specialty.routes";

export function directoryRoutes(ctx: ModuleContext): FastifyPluginAsync {
  return async (app) => {
    for (const routes of [clinicRoutes, membershipRoutes, specialtyRoutes, doctorRoutes, doctorDocumentRoutes, patientRoutes, serviceRoutes, accountRoutes]) {
      await app.register(routes(ctx));
    }
  };
}
