/**
 * Slots for scheduling-operations tests, written straight to the database (the rule engine that
 * materialises them is tested on its own), plus small readers and a request helper.
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import { addDays, zonedToInstant, type SlotKind, type SlotStatus } from "@clinic/shared";
import { Slot } from "../../server/src/modules/scheduling/slot.entity";
import type { Runtime } from "../../server/src/platform/runtime";
import type { TestApp } from "../support/harness";
import type { TestPerson } from "../support/identity";

export const ZONE = "Europe/London";

/** A calendar day `days` from today (UTC), as YYYY-MM-DD. */
export function dayFromNow(days: number): string {
  return addDays(new Date().toISOString().slice(0, 10), days);
}

export const at = (date: string, time: string) => zonedToInstant(date, time, ZONE);

export interface SlotSpec {
  doctorId: string;
  clinicId: string;
  date: string;
  /** "HH:MM" of the first slot. */
  from: string;
  count: number;
  minutes: number;
  status?: SlotStatus | ((index: number) => SlotStatus);
  kind?: SlotKind;
  serviceId?: string | null;
  tags?: string[];
}

/** `count` back-to-back slots from `from` on `date` in the clinic zone; returns them in order. */
export async function insertSlots(runtime: Runtime, spec: SlotSpec): Promise<Slot[]> {
  const em = runtime.orm.em.fork() as EntityManager;
  const first = at(spec.date, spec.from).getTime();
  const slots: Slot[] = [];
  for (let i = 0; i < spec.count; i++) {
    const status = typeof spec.status === "function" ? spec.status(i) : (spec.status ?? "available");
    slots.push(
      em.create(Slot, {
        doctor: spec.doctorId,
        clinic: spec.clinicId,
        service: spec.serviceId ?? null,
        startsAt: new Date(first + i * spec.minutes * 60_000),
        endsAt: new Date(first + (i + 1) * spec.minutes * 60_000),
        status,
        kind: spec.kind ?? "regular",
        tags: spec.tags ?? [],
        holdExpiresAt: status === "held" ? new Date(Date.now() + 600_000) : null,
        version: 1,
      }),
    );
  }
  await em.flush();
  return slots;
}

export interface SlotRecord {
  id: string;
  clinic_id: string;
  starts_at: Date;
  ends_at: Date;
  status: SlotStatus;
  version: number;
  tags: string[];
  note: string | null;
}

export function db(runtime: Runtime) {
  return (runtime.orm.em.fork() as EntityManager).getConnection();
}

export async function slotsOf(runtime: Runtime, doctorId: string): Promise<SlotRecord[]> {
  return db(runtime).execute<SlotRecord[]>(
    `select id, clinic_id, starts_at, ends_at, status, version, tags, note from slot where doctor_id = ? order by starts_at, id`,
    [doctorId],
  );
}

/** Pairs of live, non-overbooked slots of one doctor that overlap (should always be none). */
export async function overlappingPairs(runtime: Runtime, doctorId: string): Promise<number> {
  const [row] = await db(runtime).execute<{ n: string }[]>(
    `select count(*) as n from slot a join slot b on a.doctor_id = b.doctor_id and a.id < b.id
      where a.doctor_id = ? and a.status <> 'expired' and b.status <> 'expired' and not a.overbooked and not b.overbooked
        and tstzrange(a.starts_at, a.ends_at) && tstzrange(b.starts_at, b.ends_at)`,
    [doctorId],
  );
  return Number(row!.n);
}

export function caller(app: TestApp) {
  return async (person: TestPerson | undefined, method: string, path: string, body?: unknown, contentType?: string) =>
    fetch(`${app.url}/api/v1${path}`, {
      method,
      headers: {
        ...(person?.headers ?? {}),
        ...(body === undefined ? {} : { "content-type": contentType ?? "application/json" }),
      },
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
}
