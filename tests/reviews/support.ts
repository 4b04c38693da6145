/** Reviews reader: the doctor's stored rating, which reviews keep up to date. */
import { query } from "../support/db";
import type { HasRuntime } from "../support/harness";

export async function ratingOf(app: HasRuntime, doctorId: string) {
  const [row] = await query<{ rating_average: number; rating_count: number }>(app, `select rating_average, rating_count from doctor where id = ?`, [doctorId]);
  return { average: Number(row!.rating_average), count: Number(row!.rating_count) };
}
