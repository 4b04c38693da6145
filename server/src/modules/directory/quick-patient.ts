/**
 * A patient the front desk meets by phone or at the counter (walk-ins, phone-in bookings): found by
 * their number, or recorded with a name and that number (docs/queue.md "Quick records"). The number
 * is typed the way people say it and read in the clinic's country (its own number's).
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import { countryOfPhone, phoneHint, toE164 } from "@clinic/shared";
import { conflict, invalid } from "../../platform/errors";
import { UserAccount } from "../identity";
import { Patient } from "./patient.entity";

/**
 * Not a PHC string, so no password ever matches it: a quick record cannot sign in until its owner
 * sets a password through the reset flow (a code sent to the phone), which proves the phone is theirs.
 */
export const NO_PASSWORD = "!quick-record";

/** A number as the desk typed it, made E.164 in the country of `clinicPhone`; 400 on `field` otherwise. */
export function phoneTypedAt(clinicPhone: string | null, typed: string, field: string): string {
  const country = countryOfPhone(clinicPhone);
  const e164 = toE164(typed, country);
  if (!e164) throw invalid(field, phoneHint(country));
  return e164;
}

/**
 * The patient with this (E.164) phone: an existing patient account's record is reused (the name typed
 * is ignored); a staff or doctor account's phone is 409 PHONE_IN_USE on `field`; else a new patient
 * account (role patient, phone unverified, no usable password, tier none) and its record.
 */
export async function quickPatient(tx: EntityManager, input: { name: string; phone: string }, field: string): Promise<{ id: string; fullName: string; created: boolean }> {
  const [existing] = await tx.execute<{ role: string; patient_id: string | null; full_name: string | null }[]>(
    `select u.role, p.id as patient_id, p.full_name from user_account u left join patient p on p.user_id = u.id where u.phone = ?`,
    [input.phone],
  );
  if (existing) {
    if (existing.patient_id) return { id: existing.patient_id, fullName: existing.full_name ?? input.name, created: false };
    throw conflict("PHONE_IN_USE", { field });
  }
  const user = tx.create(UserAccount, { email: null, phone: input.phone, passwordHash: NO_PASSWORD, role: "patient", displayName: input.name, status: "active" });
  const patient = tx.create(Patient, { user, fullName: input.name, email: null, phone: input.phone, subscriptionTier: "none" });
  await tx.flush();
  return { id: patient.id, fullName: input.name, created: true };
}
