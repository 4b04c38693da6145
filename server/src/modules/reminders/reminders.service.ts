/**
 * Appointment reminders: planned after every committed booking change as delayed jobs on the
 * `reminders` queue (jobId `reminder-{appointmentId}-{kind}`), sent by the worker through notify(),
 * and re-planned from the database after a Redis data loss (`replanReminders`). The sender
 * re-checks the appointment, so a job that outlived its appointment's time or status does nothing.
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import type { ModuleContext } from "../../platform/module";
import { dispatchMessages, notify, readPreferences } from "../notifications";
import { pgArray, type Snapshot } from "../booking";
import { formatWhen } from "@clinic/shared";
import { planReminders, reminderKinds, type ReminderKind } from "./reminder-plan";

export const REMINDER_JOB = "appointment-reminder";
export const REMINDER_TEMPLATE = "reminders.appointment";

export interface ReminderData {
  appointmentId: string;
  kind: ReminderKind;
  /** The start the reminder was planned for (ISO); a different start now means the job is stale. */
  startsAt: string;
}

export const reminderJobId = (appointmentId: string, kind: ReminderKind) => `reminder-${appointmentId}-${kind}`;

interface PlanRow {
  id: string;
  status: string;
  starts_at: Date;
  time_zone: string;
  user_id: string;
}

const PLAN_COLUMNS = `a.id, a.status, a.starts_at, c.time_zone, p.user_id
   from appointment a join clinic c on c.id = a.clinic_id join patient p on p.id = a.patient_id`;

/** The reminder jobs a scheduled appointment has still ahead of it (none for any other status). */
async function plannedJobs(em: EntityManager, rows: PlanRow[]) {
  const scheduled = rows.filter((row) => row.status === "scheduled");
  const preferences = await readPreferences(em, scheduled.map((row) => row.user_id));
  const now = new Date();
  return new Map(
    scheduled.map((row) => {
      const startsAt = new Date(row.starts_at);
      const plan = planReminders({ startsAt, zone: row.time_zone, now, quietHours: preferences.get(row.user_id)?.quietHours ?? null });
      const jobs = plan.map(({ kind, at }) => ({
        name: REMINDER_JOB,
        data: { appointmentId: row.id, kind, startsAt: startsAt.toISOString() } satisfies ReminderData,
        opts: { jobId: reminderJobId(row.id, kind), delay: Math.max(0, at.getTime() - now.getTime()) },
      }));
      return [row.id, jobs] as const;
    }),
  );
}

/**
 * After commit: for each changed appointment, drop its reminder jobs, and if it is scheduled add the
 * ones still ahead. Reads the appointments afresh so that, whatever order after-commit steps run in,
 * the last one plans from the latest committed state. A pending hold never had reminders (scheduled
 * never goes back to pending), so holds cost nothing here.
 */
export async function planAppointmentReminders(ctx: Pick<ModuleContext, "orm" | "queues">, snapshot: Snapshot): Promise<void> {
  const ids = snapshot.appointments.filter((change) => change.status !== "pending").map((change) => change.appointmentId);
  if (ids.length === 0) return;
  const em = ctx.orm.em.fork() as EntityManager;
  const rows = await em.execute<PlanRow[]>(`select ${PLAN_COLUMNS} where a.id = any(?::uuid[])`, [pgArray(ids)]);
  const planned = await plannedJobs(em, rows);
  const queue = ctx.queues.get("reminders");
  await Promise.all(
    rows.map(async (row) => {
      // remove() takes a job out of any state (delayed included) unless a worker holds it right now;
      // that one re-checks the appointment before it writes anything.
      await Promise.all(reminderKinds.map((kind) => queue.remove(reminderJobId(row.id, kind))));
      const jobs = planned.get(row.id) ?? [];
      if (jobs.length) await queue.addBulk(jobs);
    }),
  );
}

export const REMINDER_REPLAN_JOB = "reminder-replan";
/** Appointments per page of a re-plan, and pages per run: a big backlog continues on the next run. */
const REPLAN_PAGE = 500;
const REPLAN_PAGES_PER_RUN = 20;

/** Where Redis keeps the re-plan's progress: lost with the jobs it vouches for. */
export const replanStateKey = (prefix: string) => `${prefix}:reminders:replan`;

/** The Redis server's run id: a restarted server (perhaps from an older snapshot) has a new one. */
async function redisRunId(redis: ModuleContext["redis"]): Promise<string> {
  return /run_id:(\w+)/.exec(await redis.info("server"))?.[1] ?? "unknown";
}

/**
 * The `reminder-replan` job: puts back the reminder jobs a Redis data loss took, from the database.
 * Redis keeps a note of a finished pass with the server's run id; a flushed Redis has no note and a
 * restarted one another run id, so a new pass starts; otherwise there is nothing to do. A pass walks
 * the future scheduled appointments soonest first, at most REPLAN_PAGES_PER_RUN pages per run (its
 * place kept in the note), and adds each one's planned jobs. BullMQ ignores a job whose id exists,
 * so only missing jobs are added, nothing is removed, and two passes at once add each job once.
 */
export async function replanReminders(ctx: Pick<ModuleContext, "orm" | "queues" | "redis" | "config">): Promise<{ appointments: number; complete: boolean }> {
  const key = replanStateKey(ctx.config.redis.prefix);
  const runId = await redisRunId(ctx.redis);
  const state = await ctx.redis.hgetall(key);
  if (state.runId === runId && state.complete === "true") return { appointments: 0, complete: true };
  let after = state.runId === runId && state.after ? state.after.split("|") : null;
  const em = ctx.orm.em.fork() as EntityManager;
  const queue = ctx.queues.get("reminders");
  let appointments = 0;
  for (let page = 0; page < REPLAN_PAGES_PER_RUN; page++) {
    const rows = await em.execute<PlanRow[]>(
      `select ${PLAN_COLUMNS}
        where a.status = 'scheduled' and a.starts_at > now() and (?::timestamptz is null or (a.starts_at, a.id) > (?::timestamptz, ?::uuid))
        order by a.starts_at, a.id limit ?`,
      [after?.[0] ?? null, after?.[0] ?? null, after?.[1] ?? null, REPLAN_PAGE],
    );
    const jobs = [...(await plannedJobs(em, rows)).values()].flat();
    if (jobs.length) await queue.addBulk(jobs);
    appointments += rows.length;
    const last = rows.at(-1);
    if (last) after = [new Date(last.starts_at).toISOString(), last.id];
    const complete = rows.length < REPLAN_PAGE;
    await ctx.redis.hset(key, complete ? { runId, complete: "true", after: "" } : { runId, complete: "false", after: after!.join("|") });
    if (complete) return { appointments, complete };
  }
  return { appointments, complete: false };
}

/**
 * The job: if the appointment is still scheduled at the planned start, writes the reminder (one
 * outbox row per channel, keyed by the job id so a retry writes nothing new) and queues delivery
 * after commit. Anything else (moved, ended, or already begun) is stale and does nothing.
 */
export async function sendReminder(ctx: Pick<ModuleContext, "orm" | "queues" | "log">, data: ReminderData): Promise<"sent" | "stale"> {
  const key = reminderJobId(data.appointmentId, data.kind);
  const outboxIds = await (ctx.orm.em.fork() as EntityManager).transactional(async (tx) => {
    // `for share`: a cancellation racing this waits until the reminder is written, never the reverse.
    const [row] = await tx.execute<
      { status: string; starts_at: Date; clinic_id: string; user_id: string; doctor: string; clinic: string; address: string | null; time_zone: string }[]
    >(
      `select a.status, a.starts_at, a.clinic_id, p.user_id, d.display_name as doctor, c.name as clinic, c.address, c.time_zone
         from appointment a join patient p on p.id = a.patient_id join doctor d on d.id = a.doctor_id join clinic c on c.id = a.clinic_id
        where a.id = ? for share of a`,
      [data.appointmentId],
    );
    if (!row || row.status !== "scheduled" || new Date(row.starts_at).toISOString() !== data.startsAt) return null;
    // A worker back from an outage sends overdue reminders late, but never once the appointment began.
    if (new Date(row.starts_at).getTime() <= Date.now()) return null;
    const payload = {
      appointmentId: data.appointmentId,
      kind: data.kind,
      startsAt: data.startsAt,
      when: formatWhen(new Date(row.starts_at), row.time_zone),
      doctor: row.doctor,
      clinic: row.clinic,
      address: row.address ?? "",
      where: row.address ? `${row.clinic}, ${row.address}` : row.clinic,
    };
    return notify(tx, { userId: row.user_id, template: REMINDER_TEMPLATE, payload, clinicId: row.clinic_id, key });
  });
  if (outboxIds === null) return "stale";
  await dispatchMessages(ctx, outboxIds);
  return "sent";
}
