/**
 * A clinic's figures over a range of its local days (docs/analytics.md defines each one): counts
 * per doctor and day, occupancy from the slots, waits and consultation lengths from the queue,
 * revenue from the payment ledger, ratings from the reviews. Each figure is one SQL aggregate over
 * the rows it names; the percentiles are computed by PostgreSQL (`percentile_cont`), per doctor and
 * for the clinic (grouping sets), so nothing is rounded before the end.
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import {
  addDays,
  zonedToInstant,
  type AnalyticsDay,
  type AnalyticsFigures,
  type AnalyticsQuery,
  type AnalyticsReply,
  type HeatmapReply,
  type PlatformAnalyticsQuery,
  type PlatformAnalyticsReply,
} from "@clinic/shared";
import { notFound } from "../../platform/errors";
import { Clinic } from "../directory";
import { serializeCsv } from "../scheduling";

interface Range {
  clinic: Clinic;
  lo: Date;
  hi: Date;
  doctorId: string | null;
}

interface CountRow {
  doctor_id: string;
  day: string;
  bookings: number;
  completed: number;
  cancelled: number;
  no_shows: number;
}
interface SlotRow {
  doctor_id: string;
  day: string;
  bookable: number;
  booked: number;
}
interface MoneyRow {
  doctor_id: string;
  day: string;
  gross: number;
  refunds: number;
  currency: string | null;
}
/** One grouping-set row: a doctor's, or the clinic's (`doctor_id` null). */
interface SpreadRow {
  doctor_id: string | null;
  wait_avg: number | null;
  wait_p50: number | null;
  wait_p90: number | null;
  consult_avg: number | null;
  consult_p50: number | null;
}
interface LeadRow {
  doctor_id: string | null;
  lead_p50: number | null;
}
interface RatingRow {
  doctor_id: string | null;
  average: number | null;
  count: number;
}

/** The visits of the range: start in it, ever booked, not the old half of a reschedule. */
const VISITS = `
  from appointment a
 where a.clinic_id = ? and a.starts_at >= ? and a.starts_at < ? and (?::uuid is null or a.doctor_id = ?::uuid)
   and a.scheduled_at is not null and not (a.status = 'cancelled' and a.status_reason is not distinct from 'rescheduled')`;

export async function clinicAnalytics(em: EntityManager, clinicId: string, query: AnalyticsQuery): Promise<AnalyticsReply> {
  const range = await rangeOf(em, clinicId, query);
  const tz = range.clinic.timeZone;
  const visitParams = [clinicId, range.lo, range.hi, range.doctorId, range.doctorId];
  const [counts, slots, money, spread, lead, ratings, doctors] = await Promise.all([
    em.execute<CountRow[]>(
      `select a.doctor_id, to_char(a.starts_at at time zone ?, 'YYYY-MM-DD') as day, count(*)::int as bookings,
              count(*) filter (where a.status = 'completed')::int as completed,
              count(*) filter (where a.status = 'cancelled')::int as cancelled,
              count(*) filter (where a.status = 'no_show')::int as no_shows
       ${VISITS} group by 1, 2`,
      [tz, ...visitParams],
    ),
    em.execute<SlotRow[]>(
      `select s.doctor_id, to_char(s.starts_at at time zone ?, 'YYYY-MM-DD') as day,
              sum(extract(epoch from s.ends_at - s.starts_at) / 60)::float8 as bookable,
              coalesce(sum(extract(epoch from s.ends_at - s.starts_at) / 60) filter (where s.status = 'booked'), 0)::float8 as booked
         from slot s
        where s.clinic_id = ? and s.starts_at >= ? and s.starts_at < ? and (?::uuid is null or s.doctor_id = ?::uuid)
          and s.kind = 'regular' and not s.overbooked and s.status <> 'blocked'
        group by 1, 2`,
      [tz, ...visitParams],
    ),
    em.execute<MoneyRow[]>(
      `select a.doctor_id, to_char(a.starts_at at time zone ?, 'YYYY-MM-DD') as day,
              coalesce(sum(t.amount_minor) filter (where t.kind = 'charge'), 0)::int as gross,
              coalesce(sum(t.amount_minor) filter (where t.kind = 'refund'), 0)::int as refunds,
              min(t.currency) as currency
         from payment_transaction t join appointment a on a.id = t.appointment_id
        where a.clinic_id = ? and a.starts_at >= ? and a.starts_at < ? and (?::uuid is null or a.doctor_id = ?::uuid)
        group by 1, 2`,
      [tz, ...visitParams],
    ),
    em.execute<SpreadRow[]>(
      `with waits as (
         select q.doctor_id, extract(epoch from q.called_at - q.arrived_at) / 60 as wait,
                case when q.status = 'done' then extract(epoch from q.finished_at - q.started_at) / 60 end as consult
           from queue_entry q
          where q.clinic_id = ? and q.service_day >= ?::date and q.service_day <= ?::date and (?::uuid is null or q.doctor_id = ?::uuid)
            and q.called_at is not null and q.doctor_id is not null)
       select doctor_id, avg(wait)::float8 as wait_avg,
              percentile_cont(0.5) within group (order by wait)::float8 as wait_p50,
              percentile_cont(0.9) within group (order by wait)::float8 as wait_p90,
              avg(consult)::float8 as consult_avg,
              percentile_cont(0.5) within group (order by consult)::float8 as consult_p50
         from waits group by grouping sets ((doctor_id), ())`,
      [clinicId, query.from, query.to, range.doctorId, range.doctorId],
    ),
    em.execute<LeadRow[]>(
      `select a.doctor_id, percentile_cont(0.5) within group (order by extract(epoch from a.starts_at - a.scheduled_at) / 86400)::float8 as lead_p50
       ${VISITS} group by grouping sets ((a.doctor_id), ())`,
      visitParams,
    ),
    em.execute<RatingRow[]>(
      `select r.doctor_id, avg(r.stars)::float8 as average, count(*)::int as count
         from review r join appointment a on a.id = r.appointment_id
        where a.clinic_id = ? and a.starts_at >= ? and a.starts_at < ? and (?::uuid is null or a.doctor_id = ?::uuid) and r.hidden_at is null
        group by grouping sets ((r.doctor_id), ())`,
      visitParams,
    ),
    em.execute<{ id: string; display_name: string }[]>(
      `select d.id, d.display_name from doctor d join doctor_clinic dc on dc.doctor_id = d.id where dc.clinic_id = ? and (?::uuid is null or d.id = ?::uuid) order by d.display_name, d.id`,
      [clinicId, range.doctorId, range.doctorId],
    ),
  ]);
  const currency = money.find((row) => row.currency)?.currency ?? "GBP";
  const figures = (doctorId: string | null): AnalyticsFigures => {
    const mine = <T extends { doctor_id: string | null }>(rows: T[]) => rows.filter((row) => (doctorId === null ? true : row.doctor_id === doctorId));
    const one = <T extends { doctor_id: string | null }>(rows: T[]) => rows.find((row) => row.doctor_id === doctorId);
    const c = sumCounts(mine(counts));
    const s = sumSlots(mine(slots));
    const m = sumMoney(mine(money));
    const spreadRow = one(spread);
    const rating = one(ratings);
    return {
      ...c,
      cancellationRate: c.bookings ? c.cancelled / c.bookings : null,
      noShowRate: c.bookings ? c.noShows / c.bookings : null,
      occupancy: s.bookable ? s.booked / s.bookable : null,
      waitMinutes: { avg: spreadRow?.wait_avg ?? null, p50: spreadRow?.wait_p50 ?? null, p90: spreadRow?.wait_p90 ?? null },
      consultationMinutes: { avg: spreadRow?.consult_avg ?? null, p50: spreadRow?.consult_p50 ?? null },
      leadTimeDays: { p50: one(lead)?.lead_p50 ?? null },
      revenue: { grossMinor: m.gross, refundsMinor: m.refunds, netMinor: m.gross - m.refunds, currency },
      ratings: { average: rating?.average ?? null, count: rating?.count ?? 0 },
    };
  };
  return {
    from: query.from,
    to: query.to,
    timeZone: tz,
    ...figures(null),
    perDoctor: doctors.map((d) => ({ doctorId: d.id, doctorName: d.display_name, ...figures(d.id) })),
    series: seriesOf(query, counts, slots, money),
  };
}

/** Bookable and booked minutes of regular slots by the clinic's ISO weekday and hour of their start. */
export async function clinicHeatmap(em: EntityManager, clinicId: string, query: AnalyticsQuery): Promise<HeatmapReply> {
  const range = await rangeOf(em, clinicId, query);
  const tz = range.clinic.timeZone;
  const rows = await em.execute<{ weekday: number; hour: number; bookable: number; booked: number }[]>(
    `select extract(isodow from s.starts_at at time zone ?)::int as weekday, extract(hour from s.starts_at at time zone ?)::int as hour,
            sum(extract(epoch from s.ends_at - s.starts_at) / 60)::float8 as bookable,
            coalesce(sum(extract(epoch from s.ends_at - s.starts_at) / 60) filter (where s.status = 'booked'), 0)::float8 as booked
       from slot s
      where s.clinic_id = ? and s.starts_at >= ? and s.starts_at < ? and (?::uuid is null or s.doctor_id = ?::uuid)
        and s.kind = 'regular' and not s.overbooked and s.status <> 'blocked'
      group by 1, 2 order by 1, 2`,
    [tz, tz, clinicId, range.lo, range.hi, range.doctorId, range.doctorId],
  );
  return {
    timeZone: tz,
    cells: rows.map((row) => ({ weekday: row.weekday, hour: row.hour, bookableMinutes: row.bookable, bookedMinutes: row.booked, occupancy: row.bookable ? row.booked / row.bookable : null })),
  };
}

async function rangeOf(em: EntityManager, clinicId: string, query: AnalyticsQuery): Promise<Range> {
  const clinic = await em.findOne(Clinic, clinicId);
  if (!clinic) throw notFound("Clinic");
  return {
    clinic,
    lo: zonedToInstant(query.from, "00:00", clinic.timeZone),
    hi: zonedToInstant(addDays(query.to, 1), "00:00", clinic.timeZone),
    doctorId: query.doctorId ?? null,
  };
}

const sumCounts = (rows: CountRow[]) =>
  rows.reduce((t, r) => ({ bookings: t.bookings + r.bookings, completed: t.completed + r.completed, cancelled: t.cancelled + r.cancelled, noShows: t.noShows + r.no_shows }), {
    bookings: 0,
    completed: 0,
    cancelled: 0,
    noShows: 0,
  });
const sumSlots = (rows: SlotRow[]) => rows.reduce((t, r) => ({ bookable: t.bookable + r.bookable, booked: t.booked + r.booked }), { bookable: 0, booked: 0 });
const sumMoney = (rows: MoneyRow[]) => rows.reduce((t, r) => ({ gross: t.gross + r.gross, refunds: t.refunds + r.refunds }), { gross: 0, refunds: 0 });

/** Every local day of the range, in order, with its counts, occupancy and net revenue (zeros on a quiet day). */
function seriesOf(query: AnalyticsQuery, counts: CountRow[], slots: SlotRow[], money: MoneyRow[]): AnalyticsDay[] {
  const days: AnalyticsDay[] = [];
  for (let date = query.from; date <= query.to; date = addDays(date, 1)) {
    const c = sumCounts(counts.filter((r) => r.day === date));
    const s = sumSlots(slots.filter((r) => r.day === date));
    const m = sumMoney(money.filter((r) => r.day === date));
    days.push({ date, ...c, occupancy: s.bookable ? s.booked / s.bookable : null, netMinor: m.gross - m.refunds });
  }
  return days;
}

const CSV_HEADER = [
  "scope", "name", "bookings", "completed", "cancelled", "no_shows", "cancellation_rate", "no_show_rate",
  "occupancy", "wait_p50_minutes", "consultation_p50_minutes", "gross_minor", "refunds_minor", "net_minor", "currency",
];

/**
 * The reply as one CSV table (RFC 4180): the clinic's row, a row per doctor, a row per day (the
 * figures a day has; the others empty). Rates and occupancy as fractions, as in the JSON.
 */
export function analyticsCsv(reply: AnalyticsReply): string {
  const n = (value: number | null) => (value === null ? "" : String(value));
  const row = (scope: string, name: string, f: AnalyticsFigures) => [
    scope, name, n(f.bookings), n(f.completed), n(f.cancelled), n(f.noShows), n(f.cancellationRate), n(f.noShowRate),
    n(f.occupancy), n(f.waitMinutes.p50), n(f.consultationMinutes.p50), n(f.revenue.grossMinor), n(f.revenue.refundsMinor), n(f.revenue.netMinor), f.revenue.currency,
  ];
  return serializeCsv([
    CSV_HEADER,
    row("clinic", `${reply.from} to ${reply.to}`, reply),
    ...reply.perDoctor.map((d) => row("doctor", d.doctorName, d)),
    ...reply.series.map((d) => ["day", d.date, n(d.bookings), n(d.completed), n(d.cancelled), n(d.noShows), "", "", n(d.occupancy), "", "", "", "", n(d.netMinor), reply.revenue.currency]),
  ]);
}

/** Every active clinic's counts, patients, doctors and money over UTC days, and the platform's sign-ups (docs/analytics.md). */
export async function platformAnalytics(em: EntityManager, query: PlatformAnalyticsQuery): Promise<PlatformAnalyticsReply> {
  const lo = zonedToInstant(query.from, "00:00", "UTC");
  const hi = zonedToInstant(addDays(query.to, 1), "00:00", "UTC");
  const [clinics, totals] = await Promise.all([
    em.execute<
      { id: string; name: string; bookings: number; completed: number; cancelled: number; no_shows: number; patients: number; doctors: number; gross: number; refunds: number; currency: string | null }[]
    >(
      `with visits as (
         select a.clinic_id, a.status, a.patient_id from appointment a
          where a.starts_at >= ? and a.starts_at < ? and a.scheduled_at is not null
            and not (a.status = 'cancelled' and a.status_reason is not distinct from 'rescheduled')),
       counts as (
         select clinic_id, count(*) as bookings, count(*) filter (where status = 'completed') as completed,
                count(*) filter (where status = 'cancelled') as cancelled, count(*) filter (where status = 'no_show') as no_shows,
                count(distinct patient_id) as patients
           from visits group by clinic_id),
       money as (
         select a.clinic_id, coalesce(sum(t.amount_minor) filter (where t.kind = 'charge'), 0) as gross,
                coalesce(sum(t.amount_minor) filter (where t.kind = 'refund'), 0) as refunds, min(t.currency) as currency
           from payment_transaction t join appointment a on a.id = t.appointment_id
          where a.starts_at >= ? and a.starts_at < ? group by a.clinic_id)
       select c.id, c.name,
              coalesce(v.bookings, 0)::int as bookings, coalesce(v.completed, 0)::int as completed, coalesce(v.cancelled, 0)::int as cancelled,
              coalesce(v.no_shows, 0)::int as no_shows, coalesce(v.patients, 0)::int as patients,
              (select count(*) from doctor_clinic dc join doctor d on d.id = dc.doctor_id where dc.clinic_id = c.id and d.approval_status = 'approved')::int as doctors,
              coalesce(m.gross, 0)::int as gross, coalesce(m.refunds, 0)::int as refunds, m.currency
         from clinic c left join counts v on v.clinic_id = c.id left join money m on m.clinic_id = c.id
        where c.active
        order by c.name, c.id`,
      [lo, hi, lo, hi],
    ),
    em.execute<{ patients: number; new_patients: number; new_doctors: number }[]>(
      `select (select count(distinct a.patient_id) from appointment a
                where a.starts_at >= ? and a.starts_at < ? and a.scheduled_at is not null
                  and not (a.status = 'cancelled' and a.status_reason is not distinct from 'rescheduled'))::int as patients,
              (select count(*) from user_account u where u.role = 'patient' and u.created_at >= ? and u.created_at < ?)::int as new_patients,
              (select count(*) from user_account u where u.role = 'doctor' and u.created_at >= ? and u.created_at < ?)::int as new_doctors`,
      [lo, hi, lo, hi, lo, hi],
    ),
  ]);
  const rows = clinics.map((c) => ({
    clinicId: c.id,
    name: c.name,
    bookings: c.bookings,
    completed: c.completed,
    cancelled: c.cancelled,
    noShows: c.no_shows,
    activePatients: c.patients,
    doctors: c.doctors,
    revenue: { grossMinor: c.gross, refundsMinor: c.refunds, netMinor: c.gross - c.refunds, currency: c.currency ?? "GBP" },
  }));
  const platform = totals[0]!;
  return {
    from: query.from,
    to: query.to,
    clinics: rows,
    totals: { bookings: rows.reduce((sum, c) => sum + c.bookings, 0), activePatients: platform.patients, newPatients: platform.new_patients, newDoctors: platform.new_doctors },
  };
}
