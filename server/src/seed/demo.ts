import type { EntityManager } from "@mikro-orm/postgresql";
import { Clinic } from "../modules/directory/clinic.entity";
import { hashPassword } from "../modules/identity/password";
import { clinicSettingsSchema, type UserRole } from "@clinic/shared";
import { UserAccount } from "../modules/identity/user.entity";

export const DEMO_PASSWORD = "demo1234!";
export const DEMO_CLINIC_SLUG = "demo";

/** The demo logins pinned in ARCHITECTURE.md ("Pinned public API"). */
export const demoAccounts: { email: string; role: UserRole; displayName: string }[] = [
  { email: "admin@demo.clinic", role: "platform_admin", displayName: "Platform Admin" },
  { email: "clinicadmin@demo.clinic", role: "clinic_admin", displayName: "Clinic Admin" },
  { email: "reception@demo.clinic", role: "receptionist", displayName: "Reception Desk" },
  { email: "dr.sen@demo.clinic", role: "doctor", displayName: "Dr. Anita Sen" },
  { email: "dr.das@demo.clinic", role: "doctor", displayName: "Dr. Rahul Das" },
  { email: "dr.roy@demo.clinic", role: "doctor", displayName: "Dr. Meera Roy" },
  ...Array.from({ length: 20 }, (_, i) => ({
    email: `patient${i + 1}@demo.clinic`,
    role: "patient" as const,
    displayName: `Demo Patient ${i + 1}`,
  })),
];

// Any constant works; it only has to be the same on every node so concurrent starts seed once.
const SEED_LOCK_KEY = 7_220_001;

/**
 * Seeds the demo clinic and accounts. Idempotent: what exists is left alone, what is missing is
 * added, under an advisory lock so two nodes starting together do not race.
 */
export async function seedDemo(em: EntityManager, options: { production: boolean }): Promise<{ created: number }> {
  if (options.production) throw new Error("The demo seed is refused when NODE_ENV=production");
  const passwordHash = await hashPassword(DEMO_PASSWORD);
  return em.transactional(async (tx) => {
    await tx.getConnection().execute("select pg_advisory_xact_lock(?)", [SEED_LOCK_KEY], "all", tx.getTransactionContext());
    let created = 0;
    if (!(await tx.findOne(Clinic, { slug: DEMO_CLINIC_SLUG }))) {
      tx.create(Clinic, { slug: DEMO_CLINIC_SLUG, name: "Demo Clinic", timeZone: "Europe/London", settings: clinicSettingsSchema.parse({}) });
      created++;
    }
    const existing = new Set(
      (await tx.find(UserAccount, { email: { $in: demoAccounts.map((a) => a.email) } })).map((u) => u.email),
    );
    for (const account of demoAccounts) {
      if (existing.has(account.email)) continue;
      tx.create(UserAccount, { ...account, phone: null, passwordHash });
      created++;
    }
    return { created };
  });
}
