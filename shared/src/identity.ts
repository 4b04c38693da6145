import { z } from "zod";

export const userRoles = ["patient", "doctor", "receptionist", "clinic_admin", "platform_admin"] as const;
export type UserRole = (typeof userRoles)[number];

/** Staff roles are held per clinic (memberships); doctors belong to clinics by association. */
export const clinicRoles = ["receptionist", "clinic_admin"] as const;
export type ClinicRole = (typeof clinicRoles)[number];

export const accountStatuses = ["active", "deactivated"] as const;
export type AccountStatus = (typeof accountStatuses)[number];

const password = z.string().min(8, "at least 8 characters").max(128);
const email = z.email().max(254);
/** E.164, e.g. +447700900123. */
const phone = z.string().regex(/^\+[1-9]\d{6,14}$/, "an E.164 number such as +447700900123");
const code = z.string().regex(/^\d{6}$/, "6 digits");

/** Exactly one of email or phone identifies an account at sign-in. */
const loginIdentifier = z.union([
  z.strictObject({ email, phone: z.undefined().optional() }),
  z.strictObject({ phone, email: z.undefined().optional() }),
]);

export const registerRequestSchema = z.strictObject({
  email: email.optional(),
  phone: phone.optional(),
  password,
  name: z.string().trim().min(1).max(120),
  role: z.enum(["patient", "doctor"]).default("patient"),
});
export type RegisterRequest = z.infer<typeof registerRequestSchema>;

export const verifyRequestSchema = z.strictObject({ email: email.optional(), phone: phone.optional(), code });
export const resendCodeRequestSchema = z.strictObject({ email: email.optional(), phone: phone.optional() });

export const loginRequestSchema = z.strictObject({
  email: email.optional(),
  phone: phone.optional(),
  password: z.string().min(1).max(128),
  /** A 6-digit authenticator code, or a backup code, when two-factor is on. */
  totp: z.string().min(6).max(32).optional(),
});
export type LoginRequest = z.infer<typeof loginRequestSchema>;

export const refreshRequestSchema = z.strictObject({ refreshToken: z.string().min(10).max(200) });
export const passwordForgotRequestSchema = z.strictObject({ email: email.optional(), phone: phone.optional() });
export const passwordResetRequestSchema = z.strictObject({
  email: email.optional(),
  phone: phone.optional(),
  code,
  newPassword: password,
});
export const passwordChangeRequestSchema = z.strictObject({ currentPassword: z.string().min(1).max(128), newPassword: password });
export const totpCodeRequestSchema = z.strictObject({ code: z.string().min(6).max(32) });

export const membershipSchema = z.object({ clinicId: z.uuid(), role: z.enum(clinicRoles) });

export const onboardingSchema = z.object({
  verified: z.boolean(),
  profileComplete: z.boolean(),
  twoFactorEnabled: z.boolean(),
});

export const userSchema = z.object({
  id: z.uuid(),
  email: z.string().nullable(),
  phone: z.string().nullable(),
  role: z.enum(userRoles),
  displayName: z.string(),
  status: z.enum(accountStatuses),
  memberships: z.array(membershipSchema),
  doctorId: z.uuid().nullable(),
  patientId: z.uuid().nullable(),
  onboarding: onboardingSchema,
});
export type User = z.infer<typeof userSchema>;

export const tokenPairSchema = z.object({
  accessToken: z.string(),
  refreshToken: z.string(),
  /** Seconds until the access token expires. */
  expiresIn: z.number().int(),
});

export const loginResponseSchema = tokenPairSchema.extend({ user: userSchema });

export const sessionSchema = z.object({
  id: z.uuid(),
  createdAt: z.iso.datetime(),
  lastUsedAt: z.iso.datetime(),
  expiresAt: z.iso.datetime(),
  userAgent: z.string().nullable(),
  ip: z.string().nullable(),
  current: z.boolean(),
});

export const totpSetupResponseSchema = z.object({ secret: z.string(), otpauthUri: z.string() });
export const totpEnableResponseSchema = z.object({ backupCodes: z.array(z.string()) });

export { loginIdentifier, email as emailSchema, phone as phoneSchema };

// ---------------------------------------------------------------------------------------------
// Accounts & sessions API (identity routes). The request schemas above leave email and phone both
// optional; the route bodies below add the rule that exactly one of them is given, reported on the
// offending field (`body.email` when neither is given, `body.phone` when both are).

function exactlyOneIdentifier(value: { email?: string | undefined; phone?: string | undefined }, ctx: z.RefinementCtx) {
  if (value.email !== undefined && value.phone !== undefined) {
    ctx.addIssue({ code: "custom", path: ["phone"], message: "give either email or phone, not both" });
  } else if (value.email === undefined && value.phone === undefined) {
    ctx.addIssue({ code: "custom", path: ["email"], message: "email or phone is required" });
  }
}

export const registerBodySchema = registerRequestSchema.superRefine(exactlyOneIdentifier);
export const verifyBodySchema = verifyRequestSchema.superRefine(exactlyOneIdentifier);
export const resendCodeBodySchema = resendCodeRequestSchema.superRefine(exactlyOneIdentifier);
export const loginBodySchema = loginRequestSchema.superRefine(exactlyOneIdentifier);
export const passwordForgotBodySchema = passwordForgotRequestSchema.superRefine(exactlyOneIdentifier);
export const passwordResetBodySchema = passwordResetRequestSchema.superRefine(exactlyOneIdentifier);

export const registerResponseSchema = z.object({ userId: z.uuid(), verification: z.literal("sent") });
export const verifyResponseSchema = z.object({ verified: z.literal(true) });
/** 202 replies that must not reveal whether the account exists. */
export const identityAcceptedResponseSchema = z.object({ accepted: z.literal(true) });
export const sessionListSchema = z.object({ items: z.array(sessionSchema) });
export const sessionIdParamsSchema = z.strictObject({ id: z.uuid() });

