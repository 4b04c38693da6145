import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClinicOrm as createOrm } from "../../server/src/app";
import type { Orm } from "../../server/src/platform/db";
import { verifyPassword } from "../../server/src/modules/identity/password";
import { UserAccount } from "../../server/src/modules/identity/user.entity";
import { Clinic } from "../../server/src/modules/directory/clinic.entity";
import { Doctor } from "../../server/src/modules/directory/doctor.entity";
import { DoctorPatient, Patient } from "../../server/src/modules/directory/patient.entity";
import { ClinicService } from "../../server/src/modules/directory/service.entity";
import { ClinicMembership } from "../../server/src/modules/directory/membership.entity";
import { Slot } from "../../server/src/modules/scheduling/slot.entity";
import { addDays, isoWeekday, localDateOf, localTimeOf, zonedToInstant } from "@clinic/shared";
import { clinicAnalytics } from "../../server/src/modules/analytics/analytics.service";
import { DEMO_PASSWORD, seedDemo } from "../../server/src/seed/demo";
import { createTestDatabase } from "../support/harness";

describe("demo seed", () => {
  let orm: Orm;
  beforeAll(async () => {
    orm = await createOrm((await createTestDatabase()).url, { poolMax: 5 });
  });
  afterAll(() => orm.close());

  it("creates the pinned demo clinic and logins once, even when two nodes seed at the same time", async () => {
    const results = await Promise.all([
      seedDemo(orm.em.fork(), { production: false }),
      seedDemo(orm.em.fork(), { production: false }),
    ]);
    // clinic + 26 accounts + 2 memberships + 3 doctors + 20 patients + 5 vise patients × 3 doctors + 3 rules × 3 doctors
    expect(results.map((result) => result.created).sort((x, y) => x - y)).toEqual([0, 1 + 26 + 2 + 3 + 20 + 15 + 9]);

    const em = orm.em.fork();
    const clinic = await em.findOneOrFail(Clinic, { slug: "demo" });
    expect(clinic.timeZone).toBe("Europe/London");
    const users = await em.find(UserAccount, {}, { orderBy: { email: "asc" } });
    expect(users).toHaveLength(26);
    expect(users.filter((user) => user.role === "patient")).toHaveLength(20);
    expect(users.filter((user) => user.role === "doctor").map((user) => user.email).sort()).toEqual([
      "dr.das@demo.clinic",
      "dr.roy@demo.clinic",
      "dr.sen@demo.clinic",
    ]);
  });

  it("gives the demo people their pinned profiles, memberships, tiers and relations", async () => {
    const em = orm.em.fork();
    const clinic = await em.findOneOrFail(Clinic, { slug: "demo" });
    const users = await em.find(UserAccount, {});
    expect(users.every((user) => user.emailVerifiedAt instanceof Date && user.status === "active")).toBe(true);

    const memberships = await em.find(ClinicMembership, {}, { populate: ["user"] });
    expect(memberships.map((m) => [m.user.email, m.role, m.clinic.id]).sort()).toEqual([
      ["clinicadmin@demo.clinic", "clinic_admin", clinic.id],
      ["reception@demo.clinic", "receptionist", clinic.id],
    ]);

    const doctors = await em.find(Doctor, {}, { populate: ["clinics", "specialties"] });
    expect(doctors).toHaveLength(3);
    expect(doctors.every((d) => d.approvalStatus === "approved" && d.clinics.getItems().map((c) => c.id).includes(clinic.id))).toBe(true);
    expect(doctors.every((d) => d.specialties.count() > 0)).toBe(true);

    const patients = await em.find(Patient, {}, { populate: ["user"] });
    const tierOf = (n: number) => patients.find((p) => p.user.email === `patient${n}@demo.clinic`)!.subscriptionTier;
    expect([1, 10, 11, 15, 16, 18, 19, 20].map(tierOf)).toEqual([
      "standard", "standard", "vise", "vise", "freeTrial", "freeTrial", "none", "none",
    ]);
    const relations = await em.find(DoctorPatient, {}, { populate: ["patient.user"] });
    const related = new Set(relations.map((r) => r.patient.user.email));
    expect([...related].sort()).toEqual([11, 12, 13, 14, 15].map((n) => `patient${n}@demo.clinic`).sort());
    expect(relations).toHaveLength(15);
    expect(await em.count(ClinicService, { clinic })).toBeGreaterThanOrEqual(3);
  });

  it("gives every demo doctor 30 days of weekday slots in the clinic's zone", async () => {
    const em = orm.em.fork();
    const doctors = await em.find(Doctor, {});
    const horizon = Date.now() + 31 * 86_400_000;
    for (const doctor of doctors) {
      // From today on (the days before are the seeded history, below).
      const today = zonedToInstant(localDateOf(new Date(), "Europe/London"), "00:00", "Europe/London");
      const slots = await em.find(Slot, { doctor, kind: "regular", startsAt: { $gte: today } }, { orderBy: { startsAt: "asc" } });
      // 28 slots a working day; 30 calendar days hold 20–22 working days (today counts if not yet over).
      expect(slots.length).toBeGreaterThanOrEqual(19 * 28);
      expect(slots.every((slot) => slot.startsAt.getTime() < horizon && slot.status === "available")).toBe(true);
      const local = slots.map((slot) => localTimeOf(slot.startsAt, "Europe/London"));
      expect(local.every((time) => time >= "09:00" && time < "17:00" && !(time >= "13:00" && time < "14:00"))).toBe(true);
      expect(slots.every((slot) => isoWeekday(localDateOf(slot.startsAt, "Europe/London")) <= 5)).toBe(true);
    }
  });

  it("keeps 13:00–13:30 of every weekday for walk-ins (two 10-minute places) and an emergency (one)", async () => {
    const em = orm.em.fork();
    for (const doctor of await em.find(Doctor, {})) {
      const places = await em.find(Slot, { doctor, kind: { $in: ["walk_in", "emergency"] } }, { orderBy: { startsAt: "asc" } });
      const days = new Set(places.map((slot) => localDateOf(slot.startsAt, "Europe/London")));
      expect(days.size).toBeGreaterThanOrEqual(19);
      for (const day of days) {
        const ofDay = places.filter((slot) => localDateOf(slot.startsAt, "Europe/London") === day);
        expect(ofDay.map((slot) => [slot.kind, localTimeOf(slot.startsAt, "Europe/London")])).toEqual([
          ["walk_in", "13:00"],
          ["walk_in", "13:10"],
          ["emergency", "13:20"],
        ]);
        expect(isoWeekday(day)).toBeLessThanOrEqual(5);
      }
    }
  });

  it("writes ninety days of past visits once, and the demo clinic's analytics over them add up", async () => {
    const em = orm.em.fork();
    const clinic = await em.findOneOrFail(Clinic, { slug: "demo" });
    const today = localDateOf(new Date(), clinic.timeZone);
    const count = async (sql: string) => Number((await em.getConnection().execute<{ n: string }[]>(sql, [clinic.id]))[0]!.n);
    const visits = await count(`select count(*) as n from appointment where clinic_id = ? and status in ('completed', 'no_show', 'cancelled')`);
    // Three doctors × about 64 weekdays × 28 slots, about two in three booked.
    expect(visits).toBeGreaterThan(3 * 60 * 28 * 0.55);
    expect(visits).toBeLessThan(3 * 66 * 28 * 0.75);
    expect(await count(`select count(*) as n from appointment where clinic_id = ? and starts_at >= now() and status in ('completed', 'no_show')`)).toBe(0);
    expect(await count(`select count(*) as n from queue_entry where clinic_id = ? and status = 'done'`)).toBe(
      await count(`select count(*) as n from appointment where clinic_id = ? and status = 'completed'`),
    );
    const figures = await clinicAnalytics(em, clinic.id, { from: addDays(today, -90), to: addDays(today, -1) });
    expect(figures.bookings).toBe(visits);
    expect(figures.completed + figures.cancelled + figures.noShows).toBe(visits);
    expect(figures.cancellationRate!).toBeGreaterThan(0.05);
    expect(figures.occupancy!).toBeGreaterThan(0.5);
    expect(figures.waitMinutes.p50).not.toBeNull();
    expect(figures.revenue.netMinor).toBeGreaterThan(0);
    expect(figures.ratings.count).toBeGreaterThan(0);
    // Seeding again writes no second history.
    await seedDemo(orm.em.fork(), { production: false });
    expect(await count(`select count(*) as n from appointment where clinic_id = ? and status in ('completed', 'no_show', 'cancelled')`)).toBe(visits);
  });

  it("is idempotent", async () => {
    expect(await seedDemo(orm.em.fork(), { production: false })).toEqual({ created: 0 });
    expect(await orm.em.fork().count(UserAccount)).toBe(26);
  });

  it("stores argon2id hashes that verify only the demo password", async () => {
    const user = await orm.em.fork().findOneOrFail(UserAccount, { email: "RECEPTION@demo.clinic" });
    expect(user.passwordHash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(await verifyPassword(DEMO_PASSWORD, user.passwordHash)).toBe(true);
    expect(await verifyPassword("demo1234?", user.passwordHash)).toBe(false);
  });

  it("is refused in production", async () => {
    await expect(seedDemo(orm.em.fork(), { production: true })).rejects.toThrow(/refused/);
  });
});
