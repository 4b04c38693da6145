/** Entities → reply shapes (the `@clinic/shared` directory-api schemas). */
import type {
  ClinicServiceView,
  ClinicSummary,
  ClinicView,
  DoctorSummary,
  PatientView,
  ReminderPreferences,
} from "@clinic/shared";
import { clinicSettingsSchema } from "@clinic/shared";
import type { Clinic } from "./clinic.entity";
import type { Doctor } from "./doctor.entity";
import type { Patient } from "./patient.entity";
import type { ClinicService } from "./service.entity";

export function clinicSummaryView(clinic: Clinic): ClinicSummary {
  return {
    id: clinic.id,
    name: clinic.name,
    slug: clinic.slug,
    timeZone: clinic.timeZone,
    address: clinic.address ?? null,
    phone: clinic.phone ?? null,
    email: clinic.email ?? null,
    parentClinicId: clinic.parentClinic?.id ?? null,
  };
}

export function clinicView(clinic: Clinic): ClinicView {
  return {
    ...clinicSummaryView(clinic),
    settings: clinicSettingsSchema.parse(clinic.settings ?? {}),
    active: clinic.active,
    createdAt: clinic.createdAt.toISOString(),
    updatedAt: clinic.updatedAt.toISOString(),
  };
}

/** Needs `specialties` and `clinics` populated. */
export function doctorSummaryView(doctor: Doctor): DoctorSummary {
  return {
    id: doctor.id,
    displayName: doctor.displayName,
    bio: doctor.bio ?? null,
    languages: [...doctor.languages],
    experienceYears: doctor.experienceYears ?? null,
    consultationFeeMinor: doctor.consultationFeeMinor,
    currency: doctor.currency,
    employmentType: doctor.employmentType,
    ratingAverage: Number(doctor.ratingAverage),
    ratingCount: doctor.ratingCount,
    specialties: doctor.specialties
      .getItems()
      .map((s) => ({ id: s.id, name: s.name }))
      .sort((a, b) => a.name.localeCompare(b.name)),
    clinics: doctor.clinics
      .getItems()
      .filter((c) => c.active)
      .map((c) => ({ id: c.id, name: c.name, slug: c.slug }))
      .sort((a, b) => a.name.localeCompare(b.name)),
  };
}

/** `reminderPreferences` comes from the notifications module (see patient.service.ts). */
export function patientView(patient: Patient, reminderPreferences: ReminderPreferences): PatientView {
  return {
    id: patient.id,
    userId: patient.user.id,
    fullName: patient.fullName,
    dateOfBirth: patient.dateOfBirth ?? null,
    phone: patient.phone ?? null,
    email: patient.email ?? null,
    preferredLanguage: patient.preferredLanguage,
    reminderPreferences,
    subscriptionTier: patient.subscriptionTier,
    createdAt: patient.createdAt.toISOString(),
    updatedAt: patient.updatedAt.toISOString(),
  };
}

export function clinicServiceView(service: ClinicService): ClinicServiceView {
  return {
    id: service.id,
    clinicId: service.clinic.id,
    name: service.name,
    durationMinutes: service.durationMinutes,
    colour: service.colour,
    priceMinor: service.priceMinor,
    currency: service.currency,
    paymentRequired: service.paymentRequired,
    active: service.active,
    createdAt: service.createdAt.toISOString(),
    updatedAt: service.updatedAt.toISOString(),
  };
}
