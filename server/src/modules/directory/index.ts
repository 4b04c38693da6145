/** Directory: clinics, doctors, patients, services, specialties, doctor–patient relations (docs/directory.md). */
import type { Module } from "../../platform/module";
import { ClinicSchema } from "./clinic.entity";
import { DoctorSchema } from "./doctor.entity";
import { DoctorDocumentSchema } from "./doctor-document.entity";
import { DoctorPatientSchema, PatientSchema } from "./patient.entity";
import { ClinicServiceSchema } from "./service.entity";
import { SpecialtySchema } from "./specialty.entity";
import { directoryRoutes } from "./directory.routes";
import { accountProfiles } from "./account-profiles";
import { ClinicMembershipSchema } from "./membership.entity";

export const directoryModule: Module = {
  name: "directory",
  entities: () => [ClinicSchema, ClinicServiceSchema, ClinicMembershipSchema, DoctorSchema, DoctorDocumentSchema, DoctorPatientSchema, PatientSchema, SpecialtySchema],
  routes: (ctx) => directoryRoutes(ctx),
  // A new account's profile, and whether it is filled in, for identity.
  provide: () => ({ accountProfiles }),
};

// What other modules may use.
export { Clinic } from "./clinic.entity";
export { findClinic } from "./clinic.service";
export { doctorVisibility } from "./doctor.service";
export { Doctor } from "./doctor.entity";
export { Patient } from "./patient.entity";
export { NO_PASSWORD, phoneTypedAt, quickPatient } from "./quick-patient";
export { authorizePatientRead } from "./patient.service";
export { ClinicService } from "./service.entity";
