/**
 * Fixtures for search, suggestions, elastic blocks and booking rules: doctors, specialties and
 * services written with the ORM, and slots generated in bulk by one `insert … select from
 * generate_series` (wall-clock times in the clinic's zone, so DST days come out as the clinic sees them).
 */
import { randomUUID } from "node:crypto";
import type { EntityManager } from "@mikro-orm/postgresql";
import { Clinic } from "../../server/src/modules/directory/clinic.entity";
import { Doctor } from "../../server/src/modules/directory/doctor.entity";
import { ClinicService } from "../../server/src/modules/directory/service.entity";
import { Specialty } from "../../server/src/modules/directory/specialty.entity";
import { UserAccount } from "../../server/src/modules/identity/user.entity";
import type { Runtime } from "../../server/src/platform/runtime";

export function sql<T = Record<string, unknown>>(runtime: Runtime, text: string, params: unknown[] = []): Promise<T[]> {
  return (runtime.orm.em.fork() as EntityManager).execute<T[]>(text, params);
}

export async function createSpecialty(runtime: Runtime, name = `Specialty ${randomUUID().slice(0, 8)}`): Promise<string> {
  const em = runtime.orm.em.fork() as EntityManager;
  const specialty = em.create(Specialty, { name });
  await em.flush();
  return specialty.id;
}

export async function createClinicService(runtime: Runtime, clinicId: string, durationMinutes: number): Promise<string> {
  const em = runtime.orm.em.fork() as EntityManager;
  const service = em.create(ClinicService, { clinic: clinicId, name: `Service ${randomUUID().slice(0, 8)}`, durationMinutes, colour: "#336699" });
  await em.flush();
  return service.id;
}

export interface DoctorSpec {
  clinicIds: string[];
  specialtyIds?: string[];
  languages?: string[];
  approved?: boolean;
  displayName?: string;
}

/** Doctors (with accounts that never sign in), in one flush; returns their ids in order. */
export async function createDoctors(runtime: Runtime, specs: DoctorSpec[]): Promise<string[]> {
  const em = runtime.orm.em.fork() as EntityManager;
  const ids = specs.map((spec, i) => {
    const user = em.create(UserAccount, {
      email: `doc-${i}-${randomUUID().slice(0, 8)}@test.clinic`,
      phone: null,
      passwordHash: "unused",
      role: "doctor",
      displayName: spec.displayName ?? `Dr ${i}`,
    });
    const doctor = em.create(Doctor, {
      user,
      displayName: spec.displayName ?? `Dr ${i}`,
      approvalStatus: spec.approved === false ? "pending" : "approved",
      languages: spec.languages ?? ["en"],
    });
    for (const clinicId of spec.clinicIds) doctor.clinics.add(em.getReference(Clinic, clinicId));
    for (const specialtyId of spec.specialtyIds ?? []) doctor.specialties.add(em.getReference(Specialty, specialtyId));
    return doctor.id;
  });
  await em.flush();
  return ids;
}

export interface SlotGrid {
  doctorIds: string[];
  clinicId: string;
  /** First local day, "YYYY-MM-DD". */
  firstDay: string;
  days: number;
  perDay: number;
  /** Local wall-clock time of the first slot each day. */
  startTime?: string;
  minutes?: number;
  serviceId?: string | null;
}

/** Inserts doctors × days × perDay available regular slots at local times in the clinic's zone. */
export async function generateSlots(runtime: Runtime, grid: SlotGrid): Promise<number> {
  const rows = await sql<{ n: number }>(
    runtime,
    `with inserted as (
       insert into slot (id, doctor_id, clinic_id, service_id, starts_at, ends_at)
       select gen_random_uuid(), doc.id, c.id, ?::uuid,
              (day::date + ?::time + k * make_interval(mins => ?)) at time zone c.time_zone,
              (day::date + ?::time + (k + 1) * make_interval(mins => ?)) at time zone c.time_zone
         from clinic c,
              unnest(string_to_array(?, ',')::uuid[]) doc(id),
              generate_series(?::date, ?::date + (? - 1), interval '1 day') day,
              generate_series(0, ? - 1) k
        where c.id = ?
       returning 1)
     select count(*)::int as n from inserted`,
    [
      grid.serviceId ?? null,
      grid.startTime ?? "09:00",
      grid.minutes ?? 30,
      grid.startTime ?? "09:00",
      grid.minutes ?? 30,
      grid.doctorIds.join(","),
      grid.firstDay,
      grid.firstDay,
      grid.days,
      grid.perDay,
      grid.clinicId,
    ],
  );
  return rows[0]!.n;
}
