/**
 * GET /doctors over a generated set of ~60 doctors: every filter returns exactly the listed
 * (approved, active-account) doctors that match, and walking the cursor pages returns each of them
 * exactly once, in (displayName, id) order.
 */
import { randomUUID } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import type { EntityManager } from "@mikro-orm/postgresql";
import { doctorPageSchema, type DoctorSummary } from "@clinic/shared";
import { Clinic } from "../../server/src/modules/directory/clinic.entity";
import { Doctor } from "../../server/src/modules/directory/doctor.entity";
import { Specialty } from "../../server/src/modules/directory/specialty.entity";
import { UserAccount } from "../../server/src/modules/identity/user.entity";
import { readJson, useApp } from "../support/harness";
import { buildClinic } from "../support/factories";

interface Generated {
  id: string;
  displayName: string;
  listed: boolean;
  specialty: "Cardiology" | "Dermatology";
  clinic: "x" | "y";
  languages: string[];
  rating: number;
}

describe("doctor search", () => {
  const app = useApp();
  const generated: Generated[] = [];
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    const [clinicX, clinicY] = await Promise.all([buildClinic(app), buildClinic(app)]);
    const em = app.runtime.orm.em.fork() as EntityManager;
    const cardiology = em.create(Specialty, { name: "Cardiology" });
    const dermatology = em.create(Specialty, { name: "Dermatology" });
    Object.assign(ids, { x: clinicX.id, y: clinicY.id, cardiology: cardiology.id, dermatology: dermatology.id });
    const names = (i: number) => {
      if (i % 10 === 0) return "Dr Same Name"; // ties broken by id
      if (i === 7) return "Percent 50% Off_x";
      if (i === 13) return "Percent 50 Offax";
      return `Dr ${String(i).padStart(2, "0")} ${["Sen", "Das", "Roy", "Bose"][i % 4]}`;
    };
    for (let i = 0; i < 60; i++) {
      const approval = i === 7 || i === 13 ? "approved" : (["approved", "pending", "rejected", "approved", "approved", "approved"] as const)[i % 6];
      const active = i % 11 !== 3;
      const user = em.create(UserAccount, {
        email: `search-${i}-${randomUUID().slice(0, 6)}@test.clinic`,
        phone: null,
        passwordHash: "unused",
        role: "doctor",
        displayName: names(i),
        status: active ? "active" : "deactivated",
      });
      const spec = i % 2 === 1 ? cardiology : dermatology;
      const clinic = i % 3 === 0 ? "x" : "y";
      const languages = i % 4 === 0 ? ["en", "hi"] : ["en"];
      const rating = (i % 5) + 0.5;
      const doctor = em.create(Doctor, {
        user,
        displayName: names(i),
        approvalStatus: approval,
        languages,
        ratingAverage: rating,
        ratingCount: 3,
      });
      doctor.specialties.add(spec);
      doctor.clinics.add(em.getReference(Clinic, clinic === "x" ? clinicX.id : clinicY.id));
      generated.push({
        id: doctor.id,
        displayName: names(i),
        listed: approval === "approved" && active,
        specialty: spec === cardiology ? "Cardiology" : "Dermatology",
        clinic,
        languages,
        rating,
      });
    }
    await em.flush();
  });

  /** Every page of a search, following nextCursor; fails on a page that is over the limit. */
  async function allPages(query: Record<string, string>, limit = 7): Promise<DoctorSummary[]> {
    const seen: DoctorSummary[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 100; page++) {
      const params = new URLSearchParams({ ...query, limit: String(limit), ...(cursor ? { cursor } : {}) });
      const response = await fetch(`${app.url}/api/v1/doctors?${params}`);
      expect(response.status).toBe(200);
      const body = await readJson(response, doctorPageSchema);
      expect(body.items.length).toBeLessThanOrEqual(limit);
      seen.push(...body.items);
      cursor = body.nextCursor;
      if (!cursor) return seen;
      expect(body.items.length).toBe(limit);
    }
    throw new Error("the cursor never ended");
  }

  async function expectExactly(query: Record<string, string>, match: (doctor: Generated) => boolean) {
    const items = await allPages(query);
    const expected = generated.filter((doctor) => doctor.listed && match(doctor)).map((doctor) => doctor.id);
    expect(expected.length).toBeGreaterThan(0);
    const got = items.map((item) => item.id);
    expect(new Set(got).size).toBe(got.length); // nobody twice
    expect([...got].sort()).toEqual([...expected].sort());
    return items;
  }

  it("lists every approved, active doctor exactly once across pages, ordered by name then id", async () => {
    const items = await expectExactly({}, () => true);
    const keys = items.map((item) => [item.displayName, item.id] as const);
    const em = app.runtime.orm.em.fork() as EntityManager;
    // The database's own ordering (its collation) is the reference.
    const ordered = await em
      .getConnection()
      .execute<{ id: string }[]>(
        `select id from doctor where id = any(string_to_array(?, ',')::uuid[]) order by display_name, id`,
        [keys.map(([, id]) => id).join(",")],
      );
    expect(keys.map(([, id]) => id)).toEqual(ordered.map((row) => row.id));
    expect(items.filter((item) => item.displayName === "Dr Same Name").length).toBeGreaterThan(1);
  });

  it("leaves out pending, rejected and deactivated doctors", async () => {
    const items = await allPages({}, 100);
    const listedIds = new Set(items.map((item) => item.id));
    const hidden = generated.filter((doctor) => !doctor.listed);
    expect(hidden.length).toBeGreaterThan(10);
    for (const doctor of hidden) expect(listedIds.has(doctor.id)).toBe(false);
  });

  it("pages 20 at a time by default", async () => {
    const body = await readJson(await fetch(`${app.url}/api/v1/doctors`), doctorPageSchema);
    expect(body.items).toHaveLength(20);
    expect(body.nextCursor).toEqual(expect.any(String));
  });

  it("filters by specialty name (any case) or id", async () => {
    await expectExactly({ specialty: "cardiology" }, (d) => d.specialty === "Cardiology");
    await expectExactly({ specialty: ids.dermatology! }, (d) => d.specialty === "Dermatology");
  });

  it("filters by clinic, language and minimum rating, and combines filters", async () => {
    await expectExactly({ clinicId: ids.x! }, (d) => d.clinic === "x");
    await expectExactly({ language: "HI" }, (d) => d.languages.includes("hi"));
    await expectExactly({ minRating: "3" }, (d) => d.rating >= 3);
    await expectExactly(
      { specialty: "Dermatology", clinicId: ids.y!, language: "en", minRating: "1" },
      (d) => d.specialty === "Dermatology" && d.clinic === "y" && d.rating >= 1,
    );
  });

  it("matches names case-insensitively, with % and _ taken literally", async () => {
    await expectExactly({ q: "dr 0" }, (d) => d.displayName.toLowerCase().includes("dr 0"));
    await expectExactly({ q: "same NAME" }, (d) => d.displayName === "Dr Same Name");
    const percent = await expectExactly({ q: "50%" }, (d) => d.displayName.includes("50%"));
    expect(percent.map((d) => d.displayName)).toEqual(["Percent 50% Off_x"]);
    const underscore = await expectExactly({ q: "f_x" }, (d) => d.displayName.includes("f_x"));
    expect(underscore.map((d) => d.displayName)).toEqual(["Percent 50% Off_x"]);
  });

  it("returns an empty page for a search nobody matches", async () => {
    const body = await readJson(await fetch(`${app.url}/api/v1/doctors?q=zzzz-nobody`), doctorPageSchema);
    expect(body).toEqual({ items: [], nextCursor: null });
  });
});
