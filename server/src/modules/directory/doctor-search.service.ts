/**
 * GET /doctors: listed doctors only (approved, active account), filtered, in (displayName, id) order
 * (or, with sort=rating, best rated first: ratingAverage desc, ratingCount desc, then name) with keyset
 * pagination. The cursor (see `encodeDoctorCursor`) names the last row's sort key.
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import { decodeDoctorCursor, encodeDoctorCursor, type DoctorSearchQuery, type DoctorSummary } from "@clinic/shared";
import { invalid } from "../../platform/errors";
import { Doctor } from "./doctor.entity";
import { doctorSummaryView } from "./views";

const notACursor = (): never => {
  throw invalid("query.cursor", "not a cursor from a previous page");
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
    const { displayName, id, rating } = decodeDoctorCursor(query.cursor) ?? notACursor();
    if (query.sort === "rating") {
      // A name-order cursor cannot continue a rating-order listing.
      const { average, count } = rating ?? notACursor();
      where.push(
        `(d.rating_average < ? or (d.rating_average = ? and (d.rating_count < ? or (d.rating_count = ? and (d.display_name, d.id) > (?, ?::uuid)))))`,
      );
      params.push(average, average, count, count, displayName, id);
    } else {
      where.push(`(d.display_name, d.id) > (?, ?::uuid)`);
      params.push(displayName, id);
    }
  }
  params.push(query.limit + 1);
  const order = query.sort === "rating" ? `d.rating_average desc, d.rating_count desc, d.display_name, d.id` : `d.display_name, d.id`;
  const rows = await em.getConnection().execute<{ id: string; display_name: string; rating_average: number; rating_count: number }[]>(
    `select d.id, d.display_name, d.rating_average, d.rating_count from doctor d join user_account u on u.id = d.user_id
     where ${where.join(" and ")} order by ${order} limit ?`,
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
  const rating = (row: NonNullable<typeof last>) => ({ average: Number(row.rating_average), count: Number(row.rating_count) });
  const cursorOf = (row: NonNullable<typeof last>) =>
    encodeDoctorCursor(row.display_name, row.id, query.sort === "rating" ? rating(row) : undefined);
  return { items, nextCursor: rows.length > query.limit && last ? cursorOf(last) : null };
}
