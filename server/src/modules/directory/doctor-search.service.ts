/**
 * GET /doctors: listed doctors only (approved, active account), filtered, in (displayName, id) order
 * with keyset pagination. The cursor (see `encodeDoctorCursor`) names the last row's (displayName, id).
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import { decodeDoctorCursor, encodeDoctorCursor, type DoctorSearchQuery, type DoctorSummary } from "@clinic/shared";
import { DomainError } from "../../platform/problem";
import { Doctor } from "./doctor.entity";
import { doctorSummaryView } from "./views";

const notACursor = (): never => {
  throw new DomainError(400, "VALIDATION_FAILED", "Invalid query.cursor", {
    errors: [{ field: "query.cursor", message: "not a cursor from a previous page" }],
  });
};

/** ILIKE treats % and _ as wildcards; a search for "50%" means the characters. */
export const escapeLike = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`);

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function searchDoctors(
  em: EntityManager,
  query: DoctorSearchQuery,
): Promise<{ items: DoctorSummary[]; nextCursor: string | null }> {
  const where = [`d.approval_status = 'approved'`, `u.status = 'active'`];
  const params: unknown[] = [];
  if (query.specialty !== undefined) {
    if (uuidPattern.test(query.specialty)) {
      where.push(`exists (select 1 from doctor_specialty ds where ds.doctor_id = d.id and ds.specialty_id = ?::uuid)`);
    } else {
      where.push(
        `exists (select 1 from doctor_specialty ds join specialty s on s.id = ds.specialty_id where ds.doctor_id = d.id and s.name = ?::citext)`,
      );
    }
    params.push(query.specialty);
  }
  if (query.clinicId !== undefined) {
    where.push(
      `exists (select 1 from doctor_clinic dc join clinic c on c.id = dc.clinic_id where dc.doctor_id = d.id and c.active and dc.clinic_id = ?::uuid)`,
    );
    params.push(query.clinicId);
  }
  if (query.language !== undefined) {
    where.push(`exists (select 1 from unnest(d.languages) l where lower(l) = lower(?))`);
    params.push(query.language);
  }
  if (query.minRating !== undefined) {
    where.push(`d.rating_average >= ?`);
    params.push(query.minRating);
  }
  if (query.q !== undefined) {
    where.push(`d.display_name ilike ? escape '\\'`);
    params.push(`%${escapeLike(query.q)}%`);
  }
  if (query.cursor !== undefined) {
    // The query schema has already refused cursors that do not decode.
    const { displayName, id } = decodeDoctorCursor(query.cursor) ?? notACursor();
    where.push(`(d.display_name, d.id) > (?, ?::uuid)`);
    params.push(displayName, id);
  }
  params.push(query.limit + 1);
  const rows = await em.getConnection().execute<{ id: string; display_name: string }[]>(
    `select d.id, d.display_name from doctor d join user_account u on u.id = d.user_id
     where ${where.join(" and ")} order by d.display_name, d.id limit ?`,
    params,
  );
  const page = rows.slice(0, query.limit);
  const doctors = await em.find(Doctor, { id: { $in: page.map((row) => row.id) } }, { populate: ["specialties", "clinics"] });
  const byId = new Map(doctors.map((doctor) => [doctor.id, doctor]));
  const items = page.flatMap((row) => {
    const doctor = byId.get(row.id);
    return doctor ? [doctorSummaryView(doctor)] : [];
  });
  const last = page.at(-1);
  return { items, nextCursor: rows.length > query.limit && last ? encodeDoctorCursor(last.display_name, last.id) : null };
}
