/**
 * GET /slots: free slots and elastic offers, merged, in (start, id) order with keyset pages.
 *
 * Each effective status is its own branch of a UNION ALL, and every branch is ordered and limited
 * on its own: `status = 'available' … order by starts_at` walks the (status, starts_at) index
 * and stops after one page, instead of collecting every match and sorting. "available" has two
 * branches — available slots, and held slots whose hold has lapsed (they are free to every reader).
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import { decodeSlotCursor, encodeSlotCursor, isLapsedHold, localTimeOf, type SlotSearchItem, type SlotSearchPage, type SlotStatus } from "@clinic/shared";
import { invalid } from "../../platform/errors";
import { prepared, runPrepared, type Statement } from "../../platform/prepared";
import { offers } from "./elastic";
import { blockPackItems } from "./elastic.service";
import { lapsedSlotHoldSql, liveSlotHoldSql, slotColumns, type SlotRow } from "./slot.store";

export interface SlotSearchFilters {
  doctorId?: string;
  clinicId?: string;
  from: Date;
  to: Date;
  statuses: SlotStatus[];
  specialty?: string;
  serviceId?: string;
  language?: string;
  timeFrom?: string;
  timeTo?: string;
  limit: number;
  cursor?: string;
}

export interface SearchViewer {
  /** Staff detail (schedule.internal.read): every kind, unlisted doctors, notes and tags. */
  internal: boolean;
  now: Date;
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** SQL fragments with their parameters, in order. */
export class Where {
  readonly parts: string[] = [];
  readonly params: unknown[] = [];
  add(sql: string, ...params: unknown[]) {
    this.parts.push(sql);
    this.params.push(...params);
    return this;
  }
}

/** Doctor-level filters shared by slots, elastic blocks and suggestions (`d` = doctor, `u` = its account). */
export function addDoctorFilters(where: Where, filters: { specialty?: string; language?: string }, internal: boolean): Where {
  if (!internal) where.add(`d.approval_status = 'approved' and u.status = 'active'`);
  if (filters.specialty !== undefined) {
    if (uuidPattern.test(filters.specialty)) {
      where.add(`exists (select 1 from doctor_specialty ds where ds.doctor_id = d.id and ds.specialty_id = ?::uuid)`, filters.specialty);
    } else {
      where.add(
        `exists (select 1 from doctor_specialty ds join specialty sp on sp.id = ds.specialty_id where ds.doctor_id = d.id and sp.name = ?::citext)`,
        filters.specialty,
      );
    }
  }
  if (filters.language !== undefined) where.add(`exists (select 1 from unnest(d.languages) l where lower(l) = lower(?))`, filters.language);
  return where;
}

/** The branches of one effective status. */
function statusBranches(status: SlotStatus, now: Date): [string, unknown[]][] {
  switch (status) {
    case "available":
      return [
        [`s.status = 'available'`, []],
        [lapsedSlotHoldSql("s", "?"), [now]],
      ];
    case "held":
      return [[liveSlotHoldSql("s", "?"), [now]]];
    default:
      return [[`s.status = '${status}'`, []]];
  }
}

/** The slot part of a search: at most `limit` rows after the cursor. Exported for the benchmark's baseline. */
export function slotSearchSql(filters: SlotSearchFilters, viewer: SearchViewer, after: { start: Date; id: string } | null) {
  const where = new Where()
    .add(`s.starts_at >= ?`, filters.from)
    .add(`s.starts_at < ?`, filters.to);
  if (filters.doctorId !== undefined) where.add(`s.doctor_id = ?`, filters.doctorId);
  if (filters.clinicId !== undefined) where.add(`s.clinic_id = ?`, filters.clinicId);
  if (filters.serviceId !== undefined) where.add(`s.service_id = ?`, filters.serviceId);
  if (!viewer.internal) where.add(`s.kind = 'regular' and c.active`);
  addDoctorFilters(where, filters, viewer.internal);
  if (filters.timeFrom !== undefined) where.add(`(s.starts_at at time zone c.time_zone)::time >= ?::time`, filters.timeFrom);
  if (filters.timeTo !== undefined) where.add(`(s.starts_at at time zone c.time_zone)::time < ?::time`, filters.timeTo);
  if (after) where.add(`(s.starts_at, s.id) > (?, ?::uuid)`, after.start, after.id);

  const branches = [...new Set(filters.statuses)].flatMap((status) => statusBranches(status, viewer.now));
  const sql: string[] = [];
  const params: unknown[] = [];
  for (const [condition, conditionParams] of branches) {
    sql.push(
      `(select ${slotColumns("s")} from slot s join doctor d on d.id = s.doctor_id join user_account u on u.id = d.user_id join clinic c on c.id = s.clinic_id
         where ${condition} and ${where.parts.join(" and ")} order by s.starts_at, s.id limit ?)`,
    );
    params.push(...conditionParams, ...where.params, filters.limit + 1);
  }
  return {
    sql: `select * from (${sql.join(" union all ")}) found order by starts_at, id limit ?`,
    params: [...params, filters.limit + 1],
  };
}

/** One named statement per shape of search (which filters and statuses it has): a handful in practice. */
const statements = new Map<string, Statement<SlotRow>>();

/**
 * `slotSearchSql` as a named prepared statement (platform/prepared.ts): each pooled connection
 * parses and plans a shape once, where `em.execute` would send the parameters inlined and have
 * PostgreSQL plan every search afresh.
 */
export function slotSearchStatement(filters: SlotSearchFilters, viewer: SearchViewer, after: { start: Date; id: string } | null) {
  const { sql, params } = slotSearchSql(filters, viewer, after);
  let statement = statements.get(sql);
  if (!statement) {
    let position = 0;
    statement = prepared<SlotRow>(`slot-search-${statements.size + 1}`, sql.replace(/\?/g, () => `$${++position}`));
    statements.set(sql, statement);
  }
  return { statement, values: params };
}

function slotItem(row: SlotRow, viewer: SearchViewer): SlotSearchItem {
  const holdLapsed = isLapsedHold({ status: row.status, holdExpiresAt: row.hold_expires_at }, viewer.now.getTime());
  const item: SlotSearchItem = {
    type: "slot",
    id: row.id,
    doctorId: row.doctor_id,
    clinicId: row.clinic_id,
    start: new Date(row.starts_at).toISOString(),
    end: new Date(row.ends_at).toISOString(),
    status: holdLapsed ? "available" : row.status,
    kind: row.kind,
    serviceId: row.service_id,
    version: row.version,
  };
  if (row.status === "held" && !holdLapsed && row.hold_expires_at) item.holdExpiresAt = new Date(row.hold_expires_at).toISOString();
  if (viewer.internal) {
    item.tags = row.tags ?? [];
    item.note = row.note;
  }
  return item;
}

/** Offers of the elastic blocks that match, sized to the service; only when a service is given. */
async function elasticItems(em: EntityManager, filters: SlotSearchFilters, viewer: SearchViewer, after: { start: Date; id: string } | null) {
  if (filters.serviceId === undefined || !filters.statuses.includes("available")) return [];
  const [service] = await em.execute<{ clinic_id: string; duration_minutes: number }[]>(
    `select clinic_id, duration_minutes from clinic_service where id = ? and active`,
    [filters.serviceId],
  );
  if (!service || (filters.clinicId !== undefined && filters.clinicId !== service.clinic_id)) return [];
  const where = new Where()
    .add(`b.clinic_id = ?`, service.clinic_id)
    .add(`b.ends_at > ?`, filters.from)
    .add(`b.starts_at < ?`, filters.to);
  if (filters.doctorId !== undefined) where.add(`b.doctor_id = ?`, filters.doctorId);
  if (!viewer.internal) where.add(`c.active`);
  addDoctorFilters(where, filters, viewer.internal);
  const blocks = await em.execute<{ id: string; doctor_id: string; clinic_id: string; starts_at: Date; capacity_minutes: number; version: number; time_zone: string }[]>(
    `select b.id, b.doctor_id, b.clinic_id, b.starts_at, b.capacity_minutes, b.version, c.time_zone
       from elastic_block b join doctor d on d.id = b.doctor_id join user_account u on u.id = d.user_id join clinic c on c.id = b.clinic_id
      where ${where.parts.join(" and ")}`,
    where.params,
  );
  if (blocks.length === 0) return [];
  // A booking hold that has lapsed leaves its place free, as a lapsed slot hold does.
  const allocations = await blockPackItems(em, blocks.map((block) => block.id));
  const items: SlotSearchItem[] = [];
  for (const block of blocks) {
    const packItems = allocations.get(block.id)!;
    for (const offer of offers({ startsAt: new Date(block.starts_at), capacityMinutes: block.capacity_minutes }, packItems, service.duration_minutes)) {
      if (offer.start < filters.from || offer.start >= filters.to) continue;
      const local = localTimeOf(offer.start, block.time_zone);
      if (filters.timeFrom !== undefined && local < filters.timeFrom) continue;
      if (filters.timeTo !== undefined && local >= filters.timeTo) continue;
      if (after && (offer.start < after.start || (offer.start.getTime() === after.start.getTime() && block.id <= after.id))) continue;
      items.push({
        type: "elastic",
        id: block.id,
        blockId: block.id,
        position: offer.position,
        doctorId: block.doctor_id,
        clinicId: block.clinic_id,
        start: offer.start.toISOString(),
        end: offer.end.toISOString(),
        status: "available",
        kind: "regular",
        serviceId: filters.serviceId,
        version: block.version,
      });
    }
  }
  return items;
}

const byStartThenId = (a: SlotSearchItem, b: SlotSearchItem) =>
  a.start === b.start ? (a.id < b.id ? -1 : a.id > b.id ? 1 : 0) : Date.parse(a.start) - Date.parse(b.start);

export async function searchSlots(em: EntityManager, filters: SlotSearchFilters, viewer: SearchViewer): Promise<SlotSearchPage> {
  let after: { start: Date; id: string } | null = null;
  if (filters.cursor !== undefined) {
    after = decodeSlotCursor(filters.cursor);
    if (!after) {
      throw invalid("query.cursor", "not a cursor from a previous page");
    }
  }
  const { statement, values } = slotSearchStatement(filters, viewer, after);
  const [rows, elastic] = await Promise.all([runPrepared(em, statement, values), elasticItems(em, filters, viewer, after)]);
  const merged = [...rows.map((row) => slotItem(row, viewer)), ...elastic].sort(byStartThenId);
  const page = merged.slice(0, filters.limit);
  const last = page.at(-1);
  return { items: page, nextCursor: merged.length > filters.limit && last ? encodeSlotCursor(new Date(last.start), last.id) : null };
}
