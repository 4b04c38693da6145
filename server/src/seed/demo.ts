import type { EntityManager } from "@mikro-orm/postgresql";
import {
  clinicSettingsSchema,
  localDateOf,
  type ClinicRole,
  type SubscriptionTier,
  type UserRole,
  type SlotKind,
} from "@clinic/shared";
import { Clinic } from "../modules/directory/clinic.entity";
import { Doctor } from "../modules/directory/doctor.entity";
import { DoctorPatient, Patient } from "../modules/directory/patient.entity";
import { ClinicService } from "../modules/directory/service.entity";
import { Specialty } from "../modules/directory/specialty.entity";
import { ClinicMembership } from "../modules/directory/membership.entity";
import { hashPassword } from "../modules/identity/password";
import { UserAccount } from "../modules/identity/user.entity";
import { AvailabilityRule } from "../modules/scheduling/availability-rule.entity";
import { materialiseUpToHorizon } from "../modules/scheduling/materialise.service";
import { seedDemoHistory } from "./demo-history";

export const DEMO_PASSWORD = "demo1234!";
export const DEMO_CLINIC_SLUG = "demo";

interface DemoAccount {
  email: string;
  role: UserRole;
  displayName: string;
  clinicRole?: ClinicRole;
  doctor?: { specialties: string[]; languages: string[]; feeMinor: number; bio: string; registration: string };
  tier?: SubscriptionTier;
}

/** The demo tiers pinned in ARCHITECTURE.md: 1–10 standard, 11–15 vise, 16–18 freeTrial, 19–20 none. */
function demoTier(n: number): SubscriptionTier {
  if (n <= 10) return "standard";
  if (n <= 15) return "vise";
  if (n <= 18) return "freeTrial";
  return "none";
}

/** The demo logins pinned in ARCHITECTURE.md ("Pinned public API"). */
export const demoAccounts: DemoAccount[] = [
  { email: "admin@demo.clinic", role: "platform_admin", displayName: "Platform Admin" },
  { email: "clinicadmin@demo.clinic", role: "clinic_admin", displayName: "Clinic Admin", clinicRole: "clinic_admin" },
  { email: "reception@demo.clinic", role: "receptionist", displayName: "Reception Desk", clinicRole: "receptionist" },
  {
    email: "dr.sen@demo.clinic",
    role: "doctor",
    displayName: "Dr. Anita Sen",
    doctor: { specialties: ["General Practice"], languages: ["en", "bn"], feeMinor: 4500, bio: "GP with a soft spot for worried parents.", registration: "7000001" },
  },
  {
    email: "dr.das@demo.clinic",
    role: "doctor",
    displayName: "Dr. Rahul Das",
    doctor: { specialties: ["Cardiology"], languages: ["en", "hi"], feeMinor: 9000, bio: "Cardiologist; heart health and hypertension.", registration: "7000002" },
  },
  {
    email: "dr.roy@demo.clinic",
    role: "doctor",
    displayName: "Dr. Meera Roy",
    doctor: { specialties: ["Dermatology", "General Practice"], languages: ["en"], feeMinor: 6000, bio: "Skin, hair and nails.", registration: "7000003" },
  },
  ...Array.from({ length: 20 }, (_, i) => ({
    email: `patient${i + 1}@demo.clinic`,
    role: "patient" as const,
    displayName: `Demo Patient ${i + 1}`,
    tier: demoTier(i + 1),
  })),
];

const demoServices = [
  { name: "Consultation", durationMinutes: 15, colour: "#2563eb", priceMinor: 4500, paymentRequired: true },
  { name: "Follow-up", durationMinutes: 30, colour: "#16a34a", priceMinor: 3000, paymentRequired: true },
  { name: "Minor surgery", durationMinutes: 60, colour: "#b91c1c", priceMinor: 15000, paymentRequired: true },
];

/** Demo doctors work Mon–Fri 09:00–17:00 with lunch 13:00–14:00, in 15-minute consultations. */
const DEMO_SLOT_DAYS = 30;

/**
 * Each demo doctor's weekday rules: consultations 09:00–17:00 with lunch 13:00–14:00, and — the
 * product owner's own example, "keep 13:00–13:30 free daily for walk-ins/emergencies" — two
 * 10-minute walk-in places and one emergency place from 13:00 (docs/queue.md "Walk-ins").
 */
const demoRules: { kind: SlotKind; startTime: string; endTime: string; breaks: { start: string; end: string }[]; slotMinutes: number }[] = [
  { kind: "regular", startTime: "09:00", endTime: "17:00", breaks: [{ start: "13:00", end: "14:00" }], slotMinutes: 15 },
  { kind: "walk_in", startTime: "13:00", endTime: "13:20", breaks: [], slotMinutes: 10 },
  { kind: "emergency", startTime: "13:20", endTime: "13:30", breaks: [], slotMinutes: 10 },
];

// Any constant works; it only has to be the same on every node so concurrent starts seed once.
const SEED_LOCK_KEY = 7_220_001;

/**
 * Seeds the demo clinic, its services and specialties, and the pinned accounts with their profiles,
 * memberships, tiers and doctor relations. Idempotent: what exists is left alone, what is missing is
 * added, under an advisory lock so two nodes starting together do not race.
 */
export async function seedDemo(em: EntityManager, options: { production: boolean }): Promise<{ created: number }> {
  if (options.production) throw new Error("The demo seed is refused when NODE_ENV=production");
  const passwordHash = await hashPassword(DEMO_PASSWORD);
  const newRules: AvailabilityRule[] = [];
  const result = await em.transactional(async (tx) => {
    await tx.getConnection().execute("select pg_advisory_xact_lock(?)", [SEED_LOCK_KEY], "all", tx.getTransactionContext());
    let created = 0;
    let clinic = await tx.findOne(Clinic, { slug: DEMO_CLINIC_SLUG });
    if (!clinic) {
      clinic = tx.create(Clinic, {
        slug: DEMO_CLINIC_SLUG,
        name: "Demo Clinic",
        timeZone: "Europe/London",
        address: "1 Demo Street, London",
        phone: "+442071234567",
        email: "hello@demo.clinic",
        settings: clinicSettingsSchema.parse({}),
      });
      for (const service of demoServices) tx.create(ClinicService, { ...service, clinic });
      created++;
    }

    const specialtyNames = [...new Set(demoAccounts.flatMap((a) => a.doctor?.specialties ?? []))];
    const specialties = new Map((await tx.find(Specialty, { name: { $in: specialtyNames } })).map((s) => [s.name, s]));
    for (const name of specialtyNames) if (!specialties.has(name)) specialties.set(name, tx.create(Specialty, { name }));

    const users = new Map(
      (await tx.find(UserAccount, { email: { $in: demoAccounts.map((a) => a.email) } })).map((u) => [u.email, u]),
    );
    const doctors: Doctor[] = [];
    const visePatients: Patient[] = [];
    // Each piece is ensured on its own, so a partly seeded database (an older release's) is completed.
    for (const account of demoAccounts) {
      let user = users.get(account.email);
      if (!user) {
        created++;
        user = tx.create(UserAccount, {
          email: account.email,
          phone: null,
          role: account.role,
          displayName: account.displayName,
          passwordHash,
          emailVerifiedAt: new Date(),
        });
      }
      if (account.clinicRole && !(await tx.findOne(ClinicMembership, { user, clinic, role: account.clinicRole }))) {
        created++;
        tx.create(ClinicMembership, { user, clinic, role: account.clinicRole });
      }
      if (account.doctor) {
        let doctor = await tx.findOne(Doctor, { user });
        if (!doctor) {
          created++;
          doctor = tx.create(Doctor, {
            user,
            displayName: account.displayName,
            bio: account.doctor.bio,
            languages: account.doctor.languages,
            consultationFeeMinor: account.doctor.feeMinor,
            experienceYears: 10,
            // Approved doctors have credentials on file, as the approval flow requires.
            credentials: {
              registrationBody: "General Medical Council",
              registrationNumber: account.doctor.registration,
              qualifications: ["MBBS"],
              submittedAt: new Date().toISOString(),
            },
            approvalStatus: "approved",
          });
          doctor.clinics.add(clinic);
          for (const name of account.doctor.specialties) doctor.specialties.add(specialties.get(name)!);
        }
        doctors.push(doctor);
      }
      if (account.tier) {
        let patient = await tx.findOne(Patient, { user });
        if (!patient) {
          created++;
          patient = tx.create(Patient, {
            user,
            fullName: account.displayName,
            email: account.email,
            subscriptionTier: account.tier,
          });
        }
        if (account.tier === "vise") visePatients.push(patient);
      }
    }
    const consultation = await tx.findOne(ClinicService, { clinic, name: "Consultation" });
    for (const doctor of doctors) {
      for (const rule of demoRules) {
        if (await tx.findOne(AvailabilityRule, { doctor, clinic, kind: rule.kind })) continue;
        created++;
        newRules.push(
          tx.create(AvailabilityRule, {
            doctor,
            clinic,
            service: rule.kind === "regular" ? consultation : null,
            recurrence: { freq: "weekly", interval: 1, weekdays: [1, 2, 3, 4, 5] },
            validFrom: localDateOf(new Date(), clinic.timeZone),
            ...rule,
          }),
        );
      }
    }
    // Vise patients have a relation with every demo doctor.
    for (const patient of visePatients) {
      for (const doctor of doctors) {
        if (await tx.findOne(DoctorPatient, { doctor, patient })) continue;
        created++;
        tx.create(DoctorPatient, { doctor, patient });
      }
    }
    return { created };
  });
  // The pinned 30 days of slots, materialised from the rules once they are committed.
  if (newRules.length > 0) {
    await materialiseUpToHorizon(em, newRules.map((rule) => rule.id), { horizonDays: DEMO_SLOT_DAYS });
  }
  // Ninety days of past visits for the analytics, once (under the same lock: two nodes write it once).
  await em.transactional(async (tx) => {
    await tx.getConnection().execute("select pg_advisory_xact_lock(?)", [SEED_LOCK_KEY], "all", tx.getTransactionContext());
    const clinic = await tx.findOneOrFail(Clinic, { slug: DEMO_CLINIC_SLUG });
    await seedDemoHistory(tx, clinic.id, clinic.timeZone);
  });
  return result;
}
