/**
 * Test fixtures for people: accounts written straight to the database and signed in without the
 * login route, for tests about what those people may do (the login flow has its own tests).
 */
import { randomUUID } from "node:crypto";
import type { EntityManager } from "@mikro-orm/postgresql";
import { clinicSettingsSchema, type ClinicRole, type UserRole } from "@clinic/shared";
import { Clinic } from "../../server/src/modules/directory/clinic.entity";
import { Doctor } from "../../server/src/modules/directory/doctor.entity";
import { Patient } from "../../server/src/modules/directory/patient.entity";
import { ClinicMembership } from "../../server/src/modules/directory/membership.entity";
import { hashPassword } from "../../server/src/modules/identity/password";
import { AuthSession } from "../../server/src/modules/identity/session.entity";
import { signAccessToken } from "../../server/src/modules/identity/tokens";
import { UserAccount } from "../../server/src/modules/identity/user.entity";
import type { Runtime } from "../../server/src/platform/runtime";

export const TEST_PASSWORD = "correct horse battery";
let cachedHash: Promise<string> | undefined;

export interface TestPerson {
  user: UserAccount;
  token: string;
  doctorId?: string;
  patientId?: string;
  /** `{ authorization: "Bearer …" }` */
  headers: Record<string, string>;
}

export async function createClinic(runtime: Runtime, name = `Clinic ${randomUUID().slice(0, 8)}`): Promise<Clinic> {
  const em = runtime.orm.em.fork() as EntityManager;
  const clinic = em.create(Clinic, {
    slug: name.toLowerCase().replace(/[^a-z0-9]+/g, "-"),
    name,
    timeZone: "Europe/London",
    settings: clinicSettingsSchema.parse({}),
  });
  await em.flush();
  return clinic;
}

/**
 * An active, verified account of `role`, signed in. Staff get memberships of `clinicIds`; doctors
 * get an approved profile working at `clinicIds`; patients get a profile.
 */
export async function createPerson(
  runtime: Runtime,
  role: UserRole,
  options: { clinicIds?: string[]; email?: string; approved?: boolean } = {},
): Promise<TestPerson> {
  const em = runtime.orm.em.fork() as EntityManager;
  cachedHash ??= hashPassword(TEST_PASSWORD);
  const email = options.email ?? `${role}-${randomUUID().slice(0, 8)}@test.clinic`;
  const user = em.create(UserAccount, {
    email,
    phone: null,
    passwordHash: await cachedHash,
    role,
    displayName: `${role} ${email.split("@")[0]}`,
    emailVerifiedAt: new Date(),
  });
  const clinicIds = options.clinicIds ?? [];
  let doctorId: string | undefined;
  let patientId: string | undefined;
  if (role === "receptionist" || role === "clinic_admin") {
    for (const clinicId of clinicIds) em.create(ClinicMembership, { user, clinic: clinicId, role: role as ClinicRole });
  }
  if (role === "doctor") {
    const doctor = em.create(Doctor, {
      user,
      displayName: user.displayName,
      approvalStatus: options.approved === false ? "pending" : "approved",
    });
    for (const clinicId of clinicIds) doctor.clinics.add(em.getReference(Clinic, clinicId));
    doctorId = doctor.id;
  }
  if (role === "patient") {
    patientId = em.create(Patient, {
      user,
      fullName: user.displayName,
      email,
    }).id;
  }
  const session = em.create(AuthSession, { user, expiresAt: new Date(Date.now() + 86_400_000) });
  await em.flush();
  const token = signAccessToken(runtime.config.auth.jwtSecret, { sub: user.id, sid: session.id, role });
  return { user, token, doctorId, patientId, headers: { authorization: `Bearer ${token}` } };
}
