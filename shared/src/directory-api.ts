/**
 * Request and reply shapes of the directory routes (clinics, staff, specialties, doctors, patients,
 * clinic services, account status). Bodies are strict: an unknown field is a 400 naming it.
 */
import { z } from "zod";
import { instantSchema, localDateSchema } from "./calendar";
import {
  approvalStatuses,
  clinicSettingsSchema,
  doctorCredentialsSchema,
  doctorDocumentKinds,
  doctorDocumentTypes,
  employmentTypes,
  reminderPreferencesSchema,
  subscriptionTiers,
  timeZoneSchema,
} from "./directory";
import { accountStatuses, clinicRoles, emailSchema, phoneSchema, userRoles } from "./identity";

const name = z.string().trim().min(1).max(200);
const slug = z
  .string()
  .min(2)
  .max(64)
  .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, "lower-case letters, digits and single hyphens");
const currency = z.string().regex(/^[A-Z]{3}$/, "an ISO 4217 code such as GBP");

export const idParams = <K extends string>(...keys: K[]) =>
  z.object(Object.fromEntries(keys.map((key) => [key, z.uuid()])) as Record<K, z.ZodUUID>);

// ---------------------------------------------------------------- clinics

export const clinicSummarySchema = z.object({
  id: z.uuid(),
  name: z.string(),
  slug: z.string(),
  timeZone: z.string(),
  address: z.string().nullable(),
  phone: z.string().nullable(),
  email: z.string().nullable(),
  parentClinicId: z.uuid().nullable(),
});
export type ClinicSummary = z.infer<typeof clinicSummarySchema>;

export const clinicSchema = clinicSummarySchema.extend({
  settings: clinicSettingsSchema,
  active: z.boolean(),
  createdAt: instantSchema,
  updatedAt: instantSchema,
});
export type ClinicView = z.infer<typeof clinicSchema>;

export const clinicListSchema = z.object({ items: z.array(clinicSummarySchema) });

export const createClinicRequestSchema = z.strictObject({
  name,
  slug: slug.optional(),
  timeZone: timeZoneSchema,
  address: z.string().trim().min(1).max(500).optional(),
  phone: phoneSchema.optional(),
  email: emailSchema.optional(),
  parentClinicId: z.uuid().optional(),
  settings: clinicSettingsSchema.optional(),
});
export type CreateClinicRequest = z.infer<typeof createClinicRequestSchema>;

/** Every field optional; `null` clears a nullable one. Moving a clinic under a parent is for platform admins. */
export const updateClinicRequestSchema = z.strictObject({
  name: name.optional(),
  slug: slug.optional(),
  timeZone: timeZoneSchema.optional(),
  address: z.string().trim().min(1).max(500).nullable().optional(),
  phone: phoneSchema.nullable().optional(),
  email: emailSchema.nullable().optional(),
  parentClinicId: z.uuid().nullable().optional(),
  settings: clinicSettingsSchema.optional(),
});
export type UpdateClinicRequest = z.infer<typeof updateClinicRequestSchema>;

// ---------------------------------------------------------------- clinic staff

export const clinicMemberSchema = z.object({
  id: z.uuid(),
  clinicId: z.uuid(),
  userId: z.uuid(),
  role: z.enum(clinicRoles),
  displayName: z.string(),
  email: z.string().nullable(),
  createdAt: instantSchema,
});
export type ClinicMember = z.infer<typeof clinicMemberSchema>;
export const clinicMemberListSchema = z.object({ items: z.array(clinicMemberSchema) });

export const addClinicMemberRequestSchema = z.strictObject({ userId: z.uuid(), role: z.enum(clinicRoles) });

// ---------------------------------------------------------------- specialties

export const specialtySchema = z.object({ id: z.uuid(), name: z.string() });
export const specialtyListSchema = z.object({ items: z.array(specialtySchema) });
export const createSpecialtyRequestSchema = z.strictObject({ name: z.string().trim().min(2).max(100) });

// ---------------------------------------------------------------- doctors

/** A language a doctor consults in, e.g. "en", "hi", "bn" (compared case-insensitively). */
const language = z.string().trim().min(2).max(35);

export const doctorSummarySchema = z.object({
  id: z.uuid(),
  displayName: z.string(),
  bio: z.string().nullable(),
  languages: z.array(z.string()),
  experienceYears: z.number().int().nullable(),
  consultationFeeMinor: z.number().int(),
  currency: z.string(),
  employmentType: z.enum(employmentTypes),
  ratingAverage: z.number(),
  ratingCount: z.number().int(),
  specialties: z.array(specialtySchema),
  clinics: z.array(z.object({ id: z.uuid(), name: z.string(), slug: z.string() })),
});
export type DoctorSummary = z.infer<typeof doctorSummarySchema>;

export const doctorSchema = doctorSummarySchema.extend({
  /** Listed = approved and the account is active. */
  listed: z.boolean(),
  /** Present only for the doctor, platform admins and staff of the doctor's clinics. */
  approval: z
    .object({
      status: z.enum(approvalStatuses),
      note: z.string().nullable(),
      credentials: doctorCredentialsSchema.nullable(),
    })
    .optional(),
});
export type DoctorView = z.infer<typeof doctorSchema>;

/** GET /doctor-approvals: doctors by approval status (platform admins review the pending ones). */
export const doctorApprovalQuerySchema = z.strictObject({ status: z.enum(approvalStatuses).default("pending") });
export const doctorListSchema = z.object({ items: z.array(doctorSchema) });

const BASE64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/** base64url of an ASCII string (no padding); shared has no Buffer/atob, so it is spelled out. */
function asciiToBase64Url(text: string): string {
  let out = "";
  for (let i = 0; i < text.length; i += 3) {
    const [a, b, c] = [text.charCodeAt(i), text.charCodeAt(i + 1), text.charCodeAt(i + 2)];
    const n = (a << 16) | ((b || 0) << 8) | (c || 0);
    out += BASE64URL[(n >> 18) & 63]! + BASE64URL[(n >> 12) & 63]!;
    if (i + 1 < text.length) out += BASE64URL[(n >> 6) & 63]!;
    if (i + 2 < text.length) out += BASE64URL[n & 63]!;
  }
  return out;
}

function base64UrlToAscii(text: string): string | null {
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) return null;
  let out = "";
  for (let i = 0; i < text.length; i += 4) {
    const chunk = text.slice(i, i + 4);
    const n = [...chunk].reduce((acc, ch, k) => acc | (BASE64URL.indexOf(ch) << (18 - 6 * k)), 0);
    out += String.fromCharCode((n >> 16) & 255);
    if (chunk.length > 2) out += String.fromCharCode((n >> 8) & 255);
    if (chunk.length > 3) out += String.fromCharCode(n & 255);
  }
  return out;
}

const doctorCursorSchema = z.union([
  z.tuple([z.string().max(1000), z.uuid()]),
  z.tuple([z.string().max(1000), z.uuid(), z.number().min(0).max(5), z.number().int().min(0)]),
]);

/** The rating part of a `sort=rating` cursor: the last row's (ratingAverage, ratingCount). */
export interface DoctorCursorRating {
  average: number;
  count: number;
}

/** The opaque doctor-search cursor: base64url of the last row's (displayName, id[, ratingAverage, ratingCount]). */
export function encodeDoctorCursor(displayName: string, id: string, rating?: DoctorCursorRating): string {
  const key = [encodeURIComponent(displayName), id, ...(rating ? [rating.average, rating.count] : [])];
  return asciiToBase64Url(JSON.stringify(key));
}

/** The (displayName, id[, rating]) a cursor stands for, or null when it is not one this server made. */
export function decodeDoctorCursor(cursor: string): { displayName: string; id: string; rating?: DoctorCursorRating } | null {
  try {
    const text = base64UrlToAscii(cursor);
    if (text === null) return null;
    const [displayName, id, average, count] = doctorCursorSchema.parse(JSON.parse(text));
    return { displayName: decodeURIComponent(displayName), id, ...(average !== undefined && count !== undefined ? { rating: { average, count } } : {}) };
  } catch {
    return null;
  }
}

export const doctorSearchQuerySchema = z.strictObject({
  /** A specialty id or its name (case-insensitive). */
  specialty: z.string().trim().min(1).max(100).optional(),
  clinicId: z.uuid().optional(),
  /** Part of the doctor's name. */
  q: z.string().trim().min(1).max(100).optional(),
  language: language.optional(),
  minRating: z.coerce.number().min(0).max(5).optional(),
  /** name (default): by display name; rating: best rated first, ties by rating count, then name. */
  sort: z.enum(["name", "rating"]).default("name"),
  /** Opaque: the `nextCursor` of the previous page. */
  cursor: z
    .string()
    .min(1)
    .max(2000)
    .refine((cursor) => decodeDoctorCursor(cursor) !== null, "not a cursor from a previous page")
    .optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});
export type DoctorSearchQuery = z.infer<typeof doctorSearchQuerySchema>;

export const doctorPageSchema = z.object({ items: z.array(doctorSummarySchema), nextCursor: z.string().nullable() });

export const updateDoctorProfileRequestSchema = z.strictObject({
  displayName: name.optional(),
  bio: z.string().trim().max(4000).nullable().optional(),
  languages: z.array(language).max(20).optional(),
  experienceYears: z.number().int().min(0).max(80).nullable().optional(),
  consultationFeeMinor: z.number().int().min(0).max(100_000_000).optional(),
  currency: currency.optional(),
  specialtyIds: z.array(z.uuid()).max(20).optional(),
});
export type UpdateDoctorProfileRequest = z.infer<typeof updateDoctorProfileRequestSchema>;

export const submitCredentialsRequestSchema = doctorCredentialsSchema.omit({ submittedAt: true });
export type SubmitCredentialsRequest = z.infer<typeof submitCredentialsRequestSchema>;

export const rejectDoctorRequestSchema = z.strictObject({ note: z.string().trim().min(1).max(2000) });
export const approveDoctorRequestSchema = z.strictObject({ note: z.string().trim().min(1).max(2000).optional() });

/** A credential document as listed (its bytes: GET /doctor-documents/:documentId/file). */
export const doctorDocumentSchema = z.object({
  id: z.uuid(),
  doctorId: z.uuid(),
  kind: z.enum(doctorDocumentKinds),
  fileName: z.string(),
  contentType: z.enum(doctorDocumentTypes),
  sizeBytes: z.number().int(),
  uploadedAt: instantSchema,
});
export type DoctorDocumentView = z.infer<typeof doctorDocumentSchema>;
export const doctorDocumentListSchema = z.object({ items: z.array(doctorDocumentSchema) });

/** POST /doctors/:doctorId/documents?kind=&name= (the file itself is the body, sent with its content type). */
export const uploadDocumentQuerySchema = z.strictObject({
  kind: z.enum(doctorDocumentKinds),
  /** The file's name as the doctor's device had it: shown to reviewers, never used as a path. */
  name: z
    .string()
    .trim()
    .min(1)
    .max(200)
    .regex(/^[^\p{Cc}/\\]+$/u, "a file name without slashes or control characters"),
});

export const doctorClinicsSchema = z.object({ doctorId: z.uuid(), clinicIds: z.array(z.uuid()) });

// ---------------------------------------------------------------- patients

/** YYYY-MM-DD, a real calendar day, not in the future. */
const dateOfBirth = localDateSchema.refine((day) => day <= new Date().toISOString().slice(0, 10), "not in the future");

export const patientSchema = z.object({
  id: z.uuid(),
  userId: z.uuid(),
  fullName: z.string(),
  dateOfBirth: z.string().nullable(),
  phone: z.string().nullable(),
  email: z.string().nullable(),
  preferredLanguage: z.string(),
  reminderPreferences: reminderPreferencesSchema,
  subscriptionTier: z.enum(subscriptionTiers),
  createdAt: instantSchema,
  updatedAt: instantSchema,
});
export type PatientView = z.infer<typeof patientSchema>;
export const patientListSchema = z.object({ items: z.array(patientSchema) });

export const updatePatientRequestSchema = z.strictObject({
  fullName: name.optional(),
  dateOfBirth: dateOfBirth.nullable().optional(),
  phone: phoneSchema.nullable().optional(),
  email: emailSchema.nullable().optional(),
  preferredLanguage: z.string().trim().min(2).max(16).optional(),
  reminderPreferences: reminderPreferencesSchema.optional(),
});
export type UpdatePatientRequest = z.infer<typeof updatePatientRequestSchema>;

export const updatePatientTierRequestSchema = z.strictObject({ tier: z.enum(subscriptionTiers) });

/** PUT /doctors/:doctorId/patients/:patientId: a relation opens the patient's data to the doctor, so it says why. */
export const createDoctorPatientRelationRequestSchema = z.strictObject({
  /** Why this doctor needs the patient's data; kept in the audit event (3–500 characters after trimming). */
  reason: z.string().trim().min(3).max(500),
});
export type CreateDoctorPatientRelationRequest = z.infer<typeof createDoctorPatientRelationRequestSchema>;

export const doctorPatientRelationSchema = z.object({
  doctorId: z.uuid(),
  patientId: z.uuid(),
  createdAt: instantSchema,
});

// ---------------------------------------------------------------- clinic services

const durationMinutes = z.number().int().min(5).max(480).multipleOf(5);
const colour = z.string().regex(/^#[0-9a-fA-F]{6}$/, "a colour such as #1a2b3c");

export const clinicServiceSchema = z.object({
  id: z.uuid(),
  clinicId: z.uuid(),
  name: z.string(),
  durationMinutes: z.number().int(),
  colour: z.string(),
  priceMinor: z.number().int(),
  currency: z.string(),
  paymentRequired: z.boolean(),
  active: z.boolean(),
  createdAt: instantSchema,
  updatedAt: instantSchema,
});
export type ClinicServiceView = z.infer<typeof clinicServiceSchema>;
export const clinicServiceListSchema = z.object({ items: z.array(clinicServiceSchema) });

export const createClinicServiceRequestSchema = z.strictObject({
  name: z.string().trim().min(1).max(120),
  durationMinutes,
  colour,
  priceMinor: z.number().int().min(0).max(100_000_000).default(0),
  currency: currency.default("GBP"),
  paymentRequired: z.boolean().default(false),
});
export type CreateClinicServiceRequest = z.infer<typeof createClinicServiceRequestSchema>;

export const updateClinicServiceRequestSchema = z.strictObject({
  name: z.string().trim().min(1).max(120).optional(),
  durationMinutes: durationMinutes.optional(),
  colour: colour.optional(),
  priceMinor: z.number().int().min(0).max(100_000_000).optional(),
  currency: currency.optional(),
  paymentRequired: z.boolean().optional(),
  /** `true` brings a deactivated service back. */
  active: z.boolean().optional(),
});
export type UpdateClinicServiceRequest = z.infer<typeof updateClinicServiceRequestSchema>;

// ---------------------------------------------------------------- accounts

export const accountStatusSchema = z.object({
  id: z.uuid(),
  role: z.enum(userRoles),
  status: z.enum(accountStatuses),
  /** Sessions ended by this change (deactivation revokes every open session). */
  sessionsRevoked: z.number().int(),
});
