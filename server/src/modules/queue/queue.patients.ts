/**
 * Reception's patient lookup (GET /clinics/:clinicId/queue/patients): the patients a clinic knows —
 * an appointment or a queue entry there, or a relation with one of its doctors — by name/phone
 * search (walk-in registration) or by ids (names for the board; appointment events carry ids only).
 * Name and phone only: nothing clinical, so the read is not audited (as the queue list's names).
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import { countryOfPhone, phoneSearchDigits, type PatientLookupItem } from "@clinic/shared";
import { authorize, type UserPrincipal } from "../identity";
import { clinicFacts } from "./queue.store";

const SEARCH_LIMIT = 20;

const KNOWN = `(exists (select 1 from appointment a where a.patient_id = p.id and a.clinic_id = ?)
  or exists (select 1 from queue_entry q where q.patient_id = p.id and q.clinic_id = ?)
  or exists (select 1 from doctor_patient r join doctor_clinic dc on dc.doctor_id = r.doctor_id where r.patient_id = p.id and dc.clinic_id = ?))`;

/** `%`, `_` and `\` typed by a person are literal. */
const likeLiteral = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`);

export async function lookupPatients(
  em: EntityManager,
  principal: UserPrincipal,
  clinicId: string,
  query: { q?: string | undefined; ids?: string[] | undefined },
): Promise<{ items: PatientLookupItem[] }> {
  authorize(principal, "clinic.queue.manage", { clinicId });
  const clinic = await clinicFacts(em, clinicId);
  const known = [clinic.id, clinic.id, clinic.id];
  let rows: { id: string; full_name: string; phone: string | null }[];
  if (query.ids) {
    rows = await em.execute(`select p.id, p.full_name, p.phone from patient p where p.id = any(?::uuid[]) and ${KNOWN} order by p.full_name, p.id`, [
      `{${query.ids.join(",")}}`,
      ...known,
    ]);
  } else {
    const text = query.q ?? "";
    // A number typed the local way (07700 9…) is found by its E.164 digits as well as by the digits typed.
    const patterns = phoneSearchDigits(text, countryOfPhone(clinic.phone)).map((digits) => `%${digits}%`);
    rows = await em.execute(
      `select p.id, p.full_name, p.phone from patient p
        where (p.full_name ilike ? or regexp_replace(coalesce(p.phone, ''), '\\D', '', 'g') like any(?::text[])) and ${KNOWN}
        order by p.full_name, p.id limit ?`,
      [`%${likeLiteral(text)}%`, `{${patterns.join(",")}}`, ...known, SEARCH_LIMIT],
    );
  }
  return { items: rows.map((row) => ({ id: row.id, fullName: row.full_name, phone: row.phone })) };
}
