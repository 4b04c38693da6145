/**
 * The front desk's requests that carry a phone number as it was typed (`07700 900123`): a quick
 * patient record and a walk-in. Kept apart from queue-api.ts because reading a typed number needs
 * libphonenumber-js's metadata, which only the screens that take one should load (docs/web.md "Bundles").
 */
import { z } from "zod";
import { typedPhoneSchema } from "./phone";
import { typedReasonSchema } from "./queue-api";

/**
 * A quick new patient record for a walk-in: a name and a phone number as typed (`07700 900123`), made
 * E.164 with the clinic's country by the server (a number it cannot read is 400 on this field).
 */
export const quickPatientSchema = z.strictObject({
  name: z
    .string()
    .trim()
    .min(1)
    .max(200)
    .regex(/^[^\p{Cc}]*$/u, "no control characters"),
  phone: typedPhoneSchema,
});


/**
 * POST /clinics/:clinicId/queue/walk-ins (staff): exactly one of `patientId` / `newPatient`; no
 * `doctorId` = any doctor; `kind: "emergency"` needs a `reason` and jumps ahead.
 */
export const walkInRequestSchema = z
  .strictObject({
    patientId: z.uuid().optional(),
    newPatient: quickPatientSchema.optional(),
    doctorId: z.uuid().optional(),
    kind: z.enum(["walk_in", "emergency"]).default("walk_in"),
    reason: typedReasonSchema.optional(),
  })
  .superRefine((value, ctx) => {
    if ((value.patientId === undefined) === (value.newPatient === undefined)) {
      ctx.addIssue({ code: "custom", path: ["patientId"], message: "give exactly one of patientId or newPatient" });
    }
    if (value.kind === "emergency" && value.reason === undefined) {
      ctx.addIssue({ code: "custom", path: ["reason"], message: "an emergency needs a reason" });
    }
  });
export type WalkInRequest = z.infer<typeof walkInRequestSchema>;
