/**
 * Live rows keyed by id where the higher `version` wins: a topic's snapshot, its events, HTTP reads
 * and action replies can arrive in any order, and a late duplicate must never undo a newer state.
 * On equal versions the incoming row is taken (it is the same state).
 */
export type ById<T> = Record<string, T>;

export function byId<T>(items: readonly T[], key: (item: T) => string): ById<T> {
  return Object.fromEntries(items.map((item) => [key(item), item]));
}

/** Whether `row` may replace `known` (none yet, or not older). */
export function isCurrent<T extends { version: number }>(row: T, known: T | undefined): boolean {
  return !known || row.version >= known.version;
}

/** `rows` with `row` under `id`, unless a newer version is already there (then `rows` itself). */
export function upsert<T extends { version: number }>(rows: ById<T>, id: string, row: T): ById<T> {
  return isCurrent(row, rows[id]) ? { ...rows, [id]: row } : rows;
}

/** Both together, the higher version of each id winning (`b` on a tie). */
export function mergeByVersion<T extends { version: number }>(a: ById<T>, b: ById<T>): ById<T> {
  let out = a;
  for (const [id, row] of Object.entries(b)) out = upsert(out, id, row);
  return out;
}
