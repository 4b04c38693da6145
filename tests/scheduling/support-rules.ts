/** Shared fixtures of the availability-rule suites: an app, clinics in a zone, doctors, JSON calls, SQL. */
import type { EntityManager } from "@mikro-orm/postgresql";
import { addDays, isoWeekday } from "@clinic/shared";
import { Clinic } from "../../server/src/modules/directory/clinic.entity";
import { Doctor } from "../../server/src/modules/directory/doctor.entity";
import { createTestEnvironment, startTestApp, type TestApp } from "../support/harness";
import { createClinic, createPerson, type TestPerson } from "../support/identity";

export async function startSchedulingApp(env: Record<string, string> = {}): Promise<TestApp> {
  return startTestApp(await createTestEnvironment(), { env: { RATE_LIMIT_MAX: "100000", ...env } });
}

export async function clinicIn(app: TestApp, timeZone = "Europe/London"): Promise<Clinic> {
  const clinic = await createClinic(app.runtime);
  if (timeZone !== clinic.timeZone) {
    await fork(app).nativeUpdate(Clinic, { id: clinic.id }, { timeZone });
    clinic.timeZone = timeZone;
  }
  return clinic;
}

export const fork = (app: TestApp) => app.runtime.orm.em.fork() as EntityManager;

export async function doctorAt(
  app: TestApp,
  clinicIds: string[],
  profile: { employmentType?: "full_time" | "part_time" | "locum"; maxHoursPerWeek?: number | null } = {},
): Promise<TestPerson & { doctorId: string }> {
  const person = await createPerson(app.runtime, "doctor", { clinicIds });
  if (Object.keys(profile).length) await fork(app).nativeUpdate(Doctor, { id: person.doctorId! }, profile);
  return { ...person, doctorId: person.doctorId! };
}

export interface Reply {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- test replies are inspected loosely
  body: any;
}

export async function call(app: TestApp, person: TestPerson | null, method: string, path: string, body?: unknown): Promise<Reply> {
  const response = await fetch(`${app.url}/api/v1${path}`, {
    method,
    headers: { ...(person?.headers ?? {}), ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

export async function query<T = Record<string, unknown>>(app: TestApp, sql: string, params: unknown[] = []): Promise<T[]> {
  return fork(app).getConnection().execute<T[]>(sql, params);
}

export async function count(app: TestApp, sql: string, params: unknown[] = []): Promise<number> {
  const [row] = await query<{ n: string }>(app, sql, params);
  return Number(row!.n);
}

/** Pairs of live, non-overbooked slots of a doctor that overlap (must always be 0). */
export const overlapsOf = (app: TestApp, doctorId: string) =>
  count(
    app,
    `select count(*) n from slot a join slot b on a.doctor_id = b.doctor_id and a.id < b.id and a.period && b.period
      where a.doctor_id = ? and a.status <> 'expired' and b.status <> 'expired' and not a.overbooked and not b.overbooked`,
    [doctorId],
  );

/** The Monday `weeks` weeks after this week's (UTC calendar). */
export function mondayIn(weeks: number): string {
  const today = new Date().toISOString().slice(0, 10);
  return addDays(today, 1 - isoWeekday(today) + 7 * weeks);
}

/** A weekly Mon–Fri rule body. */
export function weekdayRule(clinicId: string, overrides: Record<string, unknown> = {}) {
  return {
    clinicId,
    recurrence: { freq: "weekly", interval: 1, weekdays: [1, 2, 3, 4, 5] },
    validFrom: mondayIn(1),
    validUntil: addDays(mondayIn(1), 13),
    startTime: "09:00",
    endTime: "12:00",
    slotMinutes: 30,
    ...overrides,
  };
}
