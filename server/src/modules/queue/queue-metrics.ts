/**
 * Queue figures per clinic and doctor for the clinic's day (docs/queue-eta.md, "Metrics"): patients
 * waiting, served, the longest current wait and the average wait (arrived → called). One grouped
 * query; the clock is PostgreSQL's, like the timestamps it is compared with.
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import { localDateOf, type DoctorQueueMetrics, type QueueMetrics } from "@clinic/shared";

interface MetricsRow {
  total: number;
  doctor_id: string | null;
  doctor_name: string | null;
  waiting: number;
  served: number;
  current_wait: number;
  avg_wait: number | null;
}

const EMPTY: QueueMetrics = { waiting: 0, served: 0, currentWaitMinutes: 0, averageWaitMinutes: null };

export interface ClinicQueueMetrics {
  clinic: QueueMetrics;
  doctors: DoctorQueueMetrics[];
}

/** The clinic-local day of `now` (queue entries belong to one: `service_day`). */
export const serviceDayOf = (now: Date, timeZone: string) => localDateOf(now, timeZone);

export async function readQueueMetrics(em: EntityManager, clinicId: string, serviceDay: string): Promise<ClinicQueueMetrics> {
  const rows = await em.execute<MetricsRow[]>(
    `select grouping(q.doctor_id)::int as total, q.doctor_id, max(d.display_name) as doctor_name,
            (count(*) filter (where q.status = 'waiting'))::int as waiting,
            (count(*) filter (where q.status = 'done'))::int as served,
            coalesce(floor(extract(epoch from now() - min(q.arrived_at) filter (where q.status = 'waiting')) / 60), 0)::int as current_wait,
            round((avg(extract(epoch from q.called_at - q.arrived_at)) filter (where q.called_at is not null) / 60)::numeric, 1)::float8 as avg_wait
       from queue_entry q left join doctor d on d.id = q.doctor_id
      where q.clinic_id = ? and q.service_day = ?::date
      group by grouping sets ((q.doctor_id), ())`,
    [clinicId, serviceDay],
  );
  const figures = (row: MetricsRow): QueueMetrics => ({
    waiting: row.waiting,
    served: row.served,
    currentWaitMinutes: Math.max(0, row.current_wait),
    averageWaitMinutes: row.avg_wait,
  });
  const total = rows.find((row) => row.total === 1);
  const doctors = rows
    .filter((row) => row.total === 0)
    .map((row) => ({ doctorId: row.doctor_id, doctorName: row.doctor_name, ...figures(row) }))
    .sort((a, b) => (a.doctorName ?? "\uffff").localeCompare(b.doctorName ?? "\uffff") || (a.doctorId ?? "").localeCompare(b.doctorId ?? ""));
  return { clinic: total ? figures(total) : EMPTY, doctors };
}

/** One doctor's row (zeros when the doctor has nobody today). */
export function doctorMetrics(metrics: ClinicQueueMetrics, doctorId: string, doctorName: string | null): DoctorQueueMetrics {
  return metrics.doctors.find((row) => row.doctorId === doctorId) ?? { doctorId, doctorName, ...EMPTY };
}
