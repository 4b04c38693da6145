/**
 * The earliest free times to offer a patient whose visit could not happen (a doctor's leave, a
 * payment that arrived after the slot was taken): the same doctor's first, then colleagues'.
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import { formatWhen } from "@clinic/shared";
import { pgArray } from "../booking";
import { freeSlotSql } from "../scheduling";

/** How many alternatives a message offers. */
export const ALTERNATIVES = 3;

export interface Alternative {
  slotId: string;
  doctorId: string;
  doctorName: string;
  /** ISO instant. */
  start: string;
  /** The same, display-ready in the clinic's zone. */
  when: string;
}

/** A free future regular slot, bookable by a patient right now (a lapsed hold is free to every reader). */
const BOOKABLE = `s.kind = 'regular' and s.starts_at > now() and ${freeSlotSql("s")}`;

/**
 * The earliest free slots at the clinic, none of `released`: the same doctor's first, then (to make
 * up `ALTERNATIVES`) those of other approved, active doctors there who share a specialty with them.
 */
export async function earliestAlternatives(
  tx: EntityManager,
  input: { doctorId: string; clinicId: string; zone: string; released: string[] },
): Promise<Alternative[]> {
  type Row = { id: string; doctor_id: string; display_name: string; starts_at: Date };
  const select = `select s.id, s.doctor_id, d.display_name, s.starts_at from slot s join doctor d on d.id = s.doctor_id`;
  const own = await tx.execute<Row[]>(
    `${select} where s.doctor_id = ? and s.clinic_id = ? and ${BOOKABLE} and s.id <> all(?::uuid[]) order by s.starts_at, s.id limit ?`,
    [input.doctorId, input.clinicId, pgArray(input.released), ALTERNATIVES],
  );
  const others =
    own.length < ALTERNATIVES
      ? await tx.execute<Row[]>(
          `${select} join user_account u on u.id = d.user_id
            where s.clinic_id = ? and s.doctor_id <> ? and ${BOOKABLE} and s.id <> all(?::uuid[])
              and d.approval_status = 'approved' and u.status = 'active'
              and exists (select 1 from doctor_specialty mine join doctor_specialty theirs on theirs.specialty_id = mine.specialty_id
                           where mine.doctor_id = ? and theirs.doctor_id = s.doctor_id)
            order by s.starts_at, s.id limit ?`,
          [input.clinicId, input.doctorId, pgArray(input.released), input.doctorId, ALTERNATIVES - own.length],
        )
      : [];
  return [...own, ...others].map((row) => ({
    slotId: row.id,
    doctorId: row.doctor_id,
    doctorName: row.display_name,
    start: new Date(row.starts_at).toISOString(),
    when: formatWhen(new Date(row.starts_at), input.zone),
  }));
}

export function alternativesText(alternatives: Alternative[]): string {
  if (alternatives.length === 0) return "We found no free time to offer instead; please book again when it suits you.";
  return `Earliest alternatives: ${alternatives.map((a) => `${a.when} with ${a.doctorName}`).join("; ")}.`;
}
